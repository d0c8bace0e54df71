/**
 * What Teams alerting keeps in the runs table, beside the runs themselves.
 *
 * | PartitionKey     | RowKey           | holds |
 * |------------------|------------------|-------|
 * | `r~`run          | `x~`cluster      | the cluster's change in the run (gzip'd JSON), and the channel it goes to |
 * | `r~`run          | `b~digest`       | the claim on building the run's digests (ETag-guarded, with a lease) |
 * | `r~`run          | `g~`channel      | one channel's digest: its body and how posting it went (codec/run.ts) |
 * | `alerts`         | run              | runs whose digests are not all delivered: what housekeeping reads |
 * | `a~`cluster      | pool~topic       | the open alert of a FAIL: its id and the scan that first saw it |
 *
 * Claims are conditional writes: a create fails with 409 when the row exists, an update with 412
 * when someone changed the row since it was read. So of two workers that finish a run's last two
 * clusters at the same instant, exactly one builds the digests, and exactly one posts each of them.
 */
import type { TableClient, TableEntity } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { gzipJson } from './blob.js';
import { BUILD_ROW, CHANGE_ROW_PREFIX, DELIVERY, deliveryOf, deliveryProps, deliveryRow, DELIVERY_ROW_PREFIX, RUN } from './codec/run.js';
import { bytes, decode, optText, text, type Entity } from './codec/values.js';
import { statusOf, StoreError, toStoreError } from './errors.js';
import { clusterKey, encodeKey, fitKeyPart, joinKey, prefixRange, runKey } from './keys.js';
import { keys, RUN_INDEX_PARTITION } from './layout.js';
import { MAX_BINARY_BYTES, MAX_STRING_CHARS } from './limits.js';
import type { DigestDelivery } from './types.js';

export const PENDING_PARTITION = 'alerts';

/** A claim held: the row's ETag after our conditional write, which the next write must match. */
export interface Claim {
  etag: string;
}

export type StoredDelivery = DigestDelivery & { leaseUntil: string | null; etag: string };

/** An open alert: a FAIL alerted (or about to be) and not fixed since. */
export interface OpenAlert {
  alertId: string;
  firstSeenScanId: string;
}

export interface AlertStore {
  /** The cluster's change in the run; rewriting it (a redelivered message) leaves one row. */
  putChange(runId: string, clusterId: string, channel: string | null, change: unknown): Promise<void>;
  listChanges(runId: string): Promise<{ clusterId: string; channel: string | null; change: unknown }[]>;
  /** Marks a run as having digests to deliver (idempotent). */
  markPending(runId: string, startedAt: string): Promise<void>;
  clearPending(runId: string): Promise<void>;
  listPending(): Promise<{ runId: string; startedAt: string }[]>;
  /** The start of the run before this one (from the run index), or null. */
  previousRunStart(runId: string, startedAt: string): Promise<string | null>;

  /** The build claim: a new one, or a stale one taken over; null when someone else holds it or it is done. */
  claimBuild(runId: string, now: Date, leaseMs: number): Promise<Claim | 'built' | null>;
  /** Writes each channel's digest once (a channel already written is left alone), then marks the build done. */
  finishBuild(runId: string, claim: Claim, digests: { delivery: DigestDelivery; body: string }[]): Promise<boolean>;
  listDeliveries(runId: string): Promise<StoredDelivery[]>;
  deliveryBody(runId: string, channel: string): Promise<string | null>;
  /** Takes a delivery to post it; null when another worker changed it first. */
  claimDelivery(runId: string, d: StoredDelivery, leaseUntil: string): Promise<Claim | null>;
  /** Records the outcome under the claim; false when the claim was lost. */
  recordDelivery(runId: string, claim: Claim, d: DigestDelivery): Promise<boolean>;

  openAlerts(clusterId: string): Promise<Map<string, OpenAlert>>;
  /** Creates the open alert unless one exists; returns the one that is stored. */
  openAlert(clusterId: string, key: string, alert: OpenAlert): Promise<OpenAlert>;
  closeAlert(clusterId: string, key: string): Promise<void>;
}

const changeSchema = z.object({ clusterId: text, channel: optText, data: bytes });
const buildSchema = z.object({ state: z.enum(['building', 'built']), leaseUntil: optText });
const bodySchema = z.object({ body: text });
const pendingSchema = z.object({ runId: text, startedAt: text });
const openSchema = z.object({ alertId: text, firstSeenScanId: text });

const changeRow = (clusterId: string): string => joinKey(`cluster id ${clusterId}`, CHANGE_ROW_PREFIX, clusterKey(clusterId));
const alertPartition = (clusterId: string): string => joinKey(`cluster id ${clusterId}`, 'a', clusterKey(clusterId));
const alertRow = (key: string): string => fitKeyPart(encodeKey(key), 500);

export function createAlertStore(client: TableClient, table: string, timeoutMs = 30_000): AlertStore {
  const call = async <T>(operation: string, fn: (o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> => {
    try {
      return await fn({ abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw toStoreError(e, table, operation);
    }
  };
  const get = async (operation: string, pk: string, rk: string): Promise<(Entity & { etag: string }) | null> => {
    try {
      return await call(operation, (o) => client.getEntity<Entity>(pk, rk, o));
    } catch (e) {
      if (e instanceof StoreError && e.statusCode === 404) return null;
      throw e;
    }
  };
  const list = async (operation: string, filter: string, select?: string[]): Promise<Entity[]> => {
    const out: Entity[] = [];
    await call(operation, async (o) => {
      const pages = client
        .listEntities<Entity>({ queryOptions: { filter, ...(select ? { select } : {}) }, abortSignal: o.abortSignal })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) out.push(...page);
    });
    return out;
  };
  /** A conditional write that lost its race: 409 (created first by someone) or 412 (changed since read). */
  const lostRace = (e: unknown): boolean => e instanceof StoreError && (e.statusCode === 409 || e.statusCode === 412);
  const decoded = <T>(operation: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new StoreError(table, operation, undefined, 'CorruptEntity', e instanceof Error ? e.message : String(e));
    }
  };
  const rowsWithPrefix = (runId: string, prefix: string): string => {
    const r = prefixRange(prefix);
    return odata`PartitionKey eq ${keys.runPartition(runId)} and RowKey ge ${r.from} and RowKey lt ${r.to}`;
  };

  return {
    async putChange(runId, clusterId, channel, change) {
      const data = gzipJson(change);
      if (data.length > MAX_BINARY_BYTES) throw new StoreError(table, 'save alert change', undefined, 'PropertyValueTooLarge', `${data.length} bytes gzip'd`);
      const entity: TableEntity<Entity> = { partitionKey: keys.runPartition(runId), rowKey: changeRow(clusterId), clusterId, channel: channel ?? '', data };
      await call('save alert change', (o) => client.upsertEntity(entity, 'Replace', o));
    },

    async listChanges(runId) {
      const rows = await list('list alert changes', rowsWithPrefix(runId, CHANGE_ROW_PREFIX));
      return decoded('list alert changes', () =>
        rows.map((r) => {
          const c = decode(changeSchema, r, `alert change ${String(r['rowKey'])}`);
          return { clusterId: c.clusterId, channel: c.channel, change: JSON.parse(gunzipSync(c.data).toString('utf8')) as unknown };
        }),
      );
    },

    async markPending(runId, startedAt) {
      const entity = { partitionKey: PENDING_PARTITION, rowKey: runKey(runId), runId, startedAt };
      await call('mark run alerts pending', (o) => client.upsertEntity(entity, 'Replace', o));
    },

    async clearPending(runId) {
      try {
        await call('clear run alerts pending', (o) => client.deleteEntity(PENDING_PARTITION, runKey(runId), o));
      } catch (e) {
        if (!(e instanceof StoreError && e.statusCode === 404)) throw e;
      }
    },

    async listPending() {
      const rows = await list('list runs with alerts pending', odata`PartitionKey eq ${PENDING_PARTITION}`, ['runId', 'startedAt']);
      return decoded('list runs with alerts pending', () => rows.map((r) => decode(pendingSchema, r, 'pending run')));
    },

    async previousRunStart(runId, startedAt) {
      // The index is newest first (inverted time): the next row after this run's is the run before it.
      const after = keys.runIndex(runId, startedAt).rowKey;
      const rows: Entity[] = [];
      await call('read previous run', async (o) => {
        const pages = client
          .listEntities<Entity>({
            queryOptions: { filter: odata`PartitionKey eq ${RUN_INDEX_PARTITION} and RowKey gt ${after}`, select: [RUN.startedAt] },
            abortSignal: o.abortSignal,
          })
          .byPage({ maxPageSize: 1 });
        for await (const page of pages) {
          rows.push(...page);
          break;
        }
      });
      const first = rows[0];
      return first ? decoded('read previous run', () => decode(z.object({ startedAt: text }), first, 'run index entity').startedAt) : null;
    },

    async claimBuild(runId, now, leaseMs) {
      const pk = keys.runPartition(runId);
      const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
      const existing = await get('read digest build', pk, BUILD_ROW);
      try {
        if (!existing) {
          const r = await call('claim digest build', (o) => client.createEntity({ partitionKey: pk, rowKey: BUILD_ROW, state: 'building', leaseUntil }, o));
          return { etag: r.etag ?? '' };
        }
        const b = decoded('read digest build', () => decode(buildSchema, existing, 'digest build'));
        if (b.state === 'built') return 'built';
        // A builder that died mid-way leaves its lease to run out; then the build is taken over.
        if (b.leaseUntil && b.leaseUntil > now.toISOString()) return null;
        const r = await call('take over digest build', (o) =>
          client.updateEntity({ partitionKey: pk, rowKey: BUILD_ROW, state: 'building', leaseUntil }, 'Replace', { ...o, etag: existing.etag }),
        );
        return { etag: r.etag ?? '' };
      } catch (e) {
        if (lostRace(e)) return null;
        throw e;
      }
    },

    async finishBuild(runId, claim, digests) {
      const pk = keys.runPartition(runId);
      for (const d of digests) {
        if (d.body.length > MAX_STRING_CHARS) throw new StoreError(table, 'save digest', undefined, 'PropertyValueTooLarge', `${d.body.length} characters`);
        const entity = { partitionKey: pk, rowKey: deliveryRow(d.delivery.channel), ...deliveryProps({ ...d.delivery, leaseUntil: null }), body: d.body };
        try {
          await call('save digest', (o) => client.createEntity(entity, o));
        } catch (e) {
          // Written by an earlier builder that died before marking the build done: its state stands.
          if (!lostRace(e)) throw e;
        }
      }
      try {
        await call('finish digest build', (o) =>
          client.updateEntity({ partitionKey: pk, rowKey: BUILD_ROW, state: 'built', leaseUntil: '' }, 'Replace', { ...o, etag: claim.etag }),
        );
        return true;
      } catch (e) {
        if (lostRace(e)) return false;
        throw e;
      }
    },

    async listDeliveries(runId) {
      const rows = await list('list digest deliveries', rowsWithPrefix(runId, DELIVERY_ROW_PREFIX), ['rowKey', ...Object.keys(DELIVERY)]);
      return decoded('list digest deliveries', () => rows.map((r) => ({ ...deliveryOf(r), etag: String(r['odata.etag'] ?? r['etag'] ?? '') })));
    },

    async deliveryBody(runId, channel) {
      const row = await get('read digest body', keys.runPartition(runId), deliveryRow(channel));
      return row ? decoded('read digest body', () => decode(bodySchema, row, `digest ${channel}`).body) : null;
    },

    async claimDelivery(runId, d, leaseUntil) {
      const { etag, ...rest } = d;
      try {
        const r = await call('claim digest delivery', (o) =>
          client.updateEntity(
            { partitionKey: keys.runPartition(runId), rowKey: deliveryRow(d.channel), ...deliveryProps({ ...rest, status: 'posting', leaseUntil }) },
            'Merge',
            {
              ...o,
              etag,
            },
          ),
        );
        return { etag: r.etag ?? '' };
      } catch (e) {
        if (lostRace(e)) return null;
        throw e;
      }
    },

    async recordDelivery(runId, claim, d) {
      try {
        await call('record digest delivery', (o) =>
          client.updateEntity(
            { partitionKey: keys.runPartition(runId), rowKey: deliveryRow(d.channel), ...deliveryProps({ ...d, leaseUntil: null }) },
            'Merge',
            {
              ...o,
              etag: claim.etag,
            },
          ),
        );
        return true;
      } catch (e) {
        if (lostRace(e)) return false;
        throw e;
      }
    },

    async openAlerts(clusterId) {
      const rows = await list('list open alerts', odata`PartitionKey eq ${alertPartition(clusterId)}`, ['rowKey', 'key', 'alertId', 'firstSeenScanId']);
      const out = new Map<string, OpenAlert>();
      decoded('list open alerts', () => {
        for (const r of rows) out.set(decode(z.object({ key: text }), r, 'open alert').key, decode(openSchema, r, 'open alert'));
      });
      return out;
    },

    async openAlert(clusterId, key, alert) {
      const pk = alertPartition(clusterId);
      const rk = alertRow(key);
      try {
        await call('open alert', (o) => client.createEntity({ partitionKey: pk, rowKey: rk, key, ...alert }, o));
        return alert;
      } catch (e) {
        if (!lostRace(e)) throw e;
        const row = await get('read open alert', pk, rk);
        return row ? decoded('read open alert', () => decode(openSchema, row, 'open alert')) : alert;
      }
    },

    async closeAlert(clusterId, key) {
      try {
        await call('close alert', (o) => client.deleteEntity(alertPartition(clusterId), alertRow(key), o));
      } catch (e) {
        if (statusOf(e) !== 404 && !(e instanceof StoreError && e.statusCode === 404)) throw e;
      }
    },
  };
}
