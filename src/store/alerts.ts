/**
 * What Teams alerting keeps in the runs table, beside the runs themselves.
 *
 * | PartitionKey     | RowKey           | holds |
 * |------------------|------------------|-------|
 * | `r~`run          | `x~`cluster      | the cluster's change in the run (gzip'd JSON), the channel it goes to, and `gen`: the digest generation that holds it (0: none yet) |
 * | `r~`run          | `n~`00000001...  | one numbered slot per cluster with a change row, taken by create; the run is complete when slot `queued` exists |
 * | `r~`run          | `n~reported`     | the highest slot taken, as far as its writer knew: where the next cluster starts looking |
 * | `r~`run          | `b~digest`       | the claim on building the run's digests: its generation, whether its changes are marked, a lease (ETag-guarded) |
 * | `r~`run          | `g~`channel[`~`n]| one channel's digest of generation n (1 has no suffix): its body and how posting it went (codec/run.ts) |
 * | `alerts`         | run              | runs whose digests are not all delivered: what housekeeping reads |
 * | `a~`cluster      | pool~topic       | the open alert of a FAIL: its id and the scan that first saw it |
 *
 * Claims are conditional writes: a create fails with 409 when the row exists, an update with 412
 * when someone changed the row since it was read. So of two workers that finish a run's last two
 * clusters at the same instant, exactly one builds the digests, and exactly one posts each of them.
 *
 * Generations: a run's first digest (generation 1) is built when it completes or its deadline passes.
 * A cluster that reports later leaves a change row with `gen` 0; the next caller claims generation
 * 2 (then 3, ...), marks every such row with it, and builds a digest of only those rows: a late
 * cluster is posted once, never lost, and racing late clusters share one late digest.
 *
 * Reads per cluster are bounded (never the whole run): the worker writes its change row and bumps
 * takes a slot, then reads four rows (header, hint, slot `queued`, build claim) to learn whether the run is done.
 */
import type { TableClient, TableEntity } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { gzipJson } from './blob.js';
import type { TransactionAction } from '@azure/data-tables';
import {
  BUILD_ROW,
  CHANGE_ROW_PREFIX,
  DELIVERY,
  deliveryOf,
  deliveryProps,
  deliveryRow,
  DELIVERY_ROW_PREFIX,
  REPORTED_ROW,
  REPORTED_ROW_PREFIX,
  RUN,
} from './codec/run.js';
import { bytes, count, decode, optText, text, type Entity } from './codec/values.js';
import { statusOf, StoreError, toStoreError } from './errors.js';
import { clusterKey, encodeKey, fitKeyPart, joinKey, prefixRange, runKey } from './keys.js';
import { keys, RUN_HEADER_ROW, RUN_INDEX_PARTITION } from './layout.js';
import { MAX_BINARY_BYTES, MAX_STRING_CHARS } from './limits.js';
import type { DigestDelivery } from './types.js';

export const PENDING_PARTITION = 'alerts';

/** A claim held: the row's ETag after our conditional write, which the next write must match. */
export interface Claim {
  etag: string;
}

export type StoredDelivery = DigestDelivery & { leaseUntil: string | null; etag: string };

/** The build claim as read: generation n is being built (or was built, and n + 1 is next). */
export interface BuildState {
  state: 'building' | 'built';
  generation: number;
  /** Its change rows are marked with its generation: a builder taking over must not mark more. */
  marked: boolean;
  leaseUntil: string | null;
  etag: string;
}

/** What deciding whether a run's digests are due needs: three point reads, whatever the run's size. */
export interface RunProgress {
  startedAt: string;
  queued: number;
  /** Every cluster queued has a change row. */
  complete: boolean;
  /** Clusters with a change row, at least (exact when complete). */
  reported: number;
  build: BuildState | null;
}

/** A build claim held: the generation it builds and whether its rows are marked yet. */
export interface BuildClaim extends Claim {
  generation: number;
  marked: boolean;
}

/** An open alert: a FAIL alerted (or about to be) and not fixed since. */
export interface OpenAlert {
  alertId: string;
  firstSeenScanId: string;
}

export interface AlertStore {
  /**
   * The cluster's change in the run. The first one counts the cluster as reported; rewriting it (a
   * redelivered message) leaves one row, and puts it back in the next digest only if it changed.
   */
  putChange(runId: string, clusterId: string, channel: string | null, change: unknown): Promise<void>;
  /** Every change of the run, or only those of one digest generation. */
  listChanges(runId: string, generation?: number): Promise<{ clusterId: string; channel: string | null; change: unknown }[]>;
  /** Whether some change is in no digest yet (one small query). */
  hasUndigested(runId: string): Promise<boolean>;
  /** Marks every change not yet in a digest with `generation`; a row rewritten meanwhile stays for the next one. */
  markChanges(runId: string, generation: number): Promise<number>;
  /** Marks a run as having digests to deliver (idempotent). */
  markPending(runId: string, startedAt: string): Promise<void>;
  clearPending(runId: string): Promise<void>;
  /**
   * Clears the run's pending mark unless some change is in no digest yet; guarded by the mark's ETag,
   * so a late cluster that marks the run meanwhile keeps it (false then).
   */
  settlePending(runId: string): Promise<boolean>;
  listPending(): Promise<{ runId: string; startedAt: string }[]>;
  /** The start of the run before this one (from the run index), or null. */
  previousRunStart(runId: string, startedAt: string): Promise<string | null>;
  /** The run's start and size, how many clusters reported, and its build claim; null when the run is unknown. */
  runProgress(runId: string): Promise<RunProgress | null>;

  /**
   * The build claim for the next generation (`build` as read by runProgress): a new one, a stale one
   * taken over (same generation), or after a built generation the next; null when someone else changed it first
   * or holds a live lease.
   */
  claimBuild(runId: string, build: BuildState | null, now: Date, leaseMs: number): Promise<BuildClaim | null>;
  /** Records that the claim's changes are marked; null when the claim was lost. */
  claimMarked(runId: string, claim: BuildClaim): Promise<BuildClaim | null>;
  /** Writes each channel's digest once (a channel already written is left alone), then marks the build done. */
  finishBuild(runId: string, claim: BuildClaim, digests: { delivery: DigestDelivery; body: string }[]): Promise<boolean>;
  listDeliveries(runId: string): Promise<StoredDelivery[]>;
  deliveryBody(runId: string, d: Pick<DigestDelivery, 'channel' | 'generation'>): Promise<string | null>;
  /** Takes a delivery to post it; null when another worker changed it first. */
  claimDelivery(runId: string, d: StoredDelivery, leaseUntil: string): Promise<Claim | null>;
  /** Records the outcome under the claim; false when the claim was lost. */
  recordDelivery(runId: string, claim: Claim, d: DigestDelivery): Promise<boolean>;

  openAlerts(clusterId: string): Promise<Map<string, OpenAlert>>;
  /** Creates the open alerts none exists for (one transaction per 100); returns the ones stored, by key. */
  openAlertsFor(clusterId: string, alerts: { key: string; alert: OpenAlert }[]): Promise<Map<string, OpenAlert>>;
  /** Closes the open alerts of these keys (one transaction per 100). */
  closeAlerts(clusterId: string, alertKeys: string[]): Promise<void>;
}

const changeSchema = z.object({ clusterId: text, channel: optText, data: bytes, gen: z.number().int().min(0).optional() });
// Rows from before generations: a build is generation 1 with nothing left to mark.
const buildSchema = z.object({
  state: z.enum(['building', 'built']),
  generation: count.transform((n) => Math.max(1, n)),
  marked: z.boolean().optional(),
  leaseUntil: optText,
});
const progressSchema = z.object({ startedAt: text, queued: count });
const reportedSchema = z.object({ reported: count });
/** Slots tried before giving up (the run then goes out at its deadline): far more than workers racing. */
const COUNTER_ATTEMPTS = 1000;
/** Entities per entity-group transaction (the Table service's limit). */
const BATCH = 100;
const bodySchema = z.object({ body: text });
const pendingSchema = z.object({ runId: text, startedAt: text });
const openSchema = z.object({ alertId: text, firstSeenScanId: text });

const changeRow = (clusterId: string): string => joinKey(`cluster id ${clusterId}`, CHANGE_ROW_PREFIX, clusterKey(clusterId));
const alertPartition = (clusterId: string): string => joinKey(`cluster id ${clusterId}`, 'a', clusterKey(clusterId));
const alertRow = (key: string): string => fitKeyPart(encodeKey(key), 500);
const reportedSlot = (n: number): string => `${REPORTED_ROW_PREFIX}~${String(n).padStart(8, '0')}`;

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
  /** A guarded write that another worker won (409 on create, 412 on a stale ETag) answers null. */
  const unlessLostRace = async <T>(write: () => Promise<T>): Promise<T | null> => {
    try {
      return await write();
    } catch (e) {
      if (lostRace(e)) return null;
      throw e;
    }
  };
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
  const undigested = (runId: string): string => `${rowsWithPrefix(runId, CHANGE_ROW_PREFIX)} and gen eq 0`;

  /** A digest delivery's row, merged under the ETag its reader saw: null when someone changed it since. */
  const updateDelivery = (operation: string, runId: string, d: DigestDelivery & { leaseUntil: string | null }, etag: string) =>
    unlessLostRace(() =>
      call(operation, (o) =>
        client.updateEntity({ partitionKey: keys.runPartition(runId), rowKey: deliveryRow(d.channel, d.generation), ...deliveryProps(d) }, 'Merge', {
          ...o,
          etag,
        }),
      ),
    );

  const chunks = <T>(all: readonly T[]): T[][] => Array.from({ length: Math.ceil(all.length / BATCH) }, (_, i) => all.slice(i * BATCH, (i + 1) * BATCH));
  const etagOf = (r: Entity): string => String(r['odata.etag'] ?? r['etag'] ?? '');

  /**
   * One more cluster reported: it takes the next free numbered slot (`n~00000001`, ...) by creating
   * it, starting from the hint of how many are taken. Creates are atomic where ETags can collide
   * (Azurite's are timestamps to 100 µs, so two quick updates of one row look alike), and every slot
   * below a taken one is taken: the run is complete when the slot numbered `queued` exists.
   */
  const bumpReported = async (pk: string, clusterId: string): Promise<void> => {
    const hint = await get('read reported count', pk, REPORTED_ROW);
    let slot = (hint ? decoded('read reported count', () => decode(reportedSchema, hint, 'reported count').reported) : 0) + 1;
    for (let attempt = 0; ; attempt++) {
      try {
        await call('count reported cluster', (o) => client.createEntity({ partitionKey: pk, rowKey: reportedSlot(slot), clusterId }, o));
        break;
      } catch (e) {
        if (!lostRace(e)) throw e;
        if (attempt + 1 >= COUNTER_ATTEMPTS)
          throw new StoreError(
            table,
            'count reported cluster',
            409,
            'Contended',
            `${COUNTER_ATTEMPTS} slots taken by other workers; the run's digest goes out at its deadline`,
          );
      }
      slot++;
    }
    // Only a hint for the next worker (a lower one racing in is harmless: it probes a little further).
    await call('count reported cluster', (o) => client.upsertEntity({ partitionKey: pk, rowKey: REPORTED_ROW, reported: slot }, 'Replace', o));
  };

  /** Entity-group transactions of at most 100; a transaction that loses a race is redone row by row with `one`. */
  const inBatches = async <T>(
    operation: string,
    items: readonly T[],
    action: (item: T) => TransactionAction,
    one: (item: T) => Promise<boolean>,
  ): Promise<number> => {
    let done = 0;
    for (const chunk of chunks(items)) {
      if (chunk.length > 1) {
        try {
          await call(`${operation} (transaction of ${chunk.length})`, (o) => client.submitTransaction(chunk.map(action), o));
          done += chunk.length;
          continue;
        } catch (e) {
          if (!(lostRace(e) || (e instanceof StoreError && e.statusCode === 404))) throw e;
        }
      }
      for (const item of chunk) if (await one(item)) done++;
    }
    return done;
  };

  const hasUndigested = async (runId: string): Promise<boolean> => {
    let found = false;
    await call('look for undigested alert changes', async (o) => {
      const pages = client
        .listEntities<Entity>({ queryOptions: { filter: undigested(runId), select: ['RowKey'] }, abortSignal: o.abortSignal })
        .byPage({ maxPageSize: 1 });
      // A filtered query may answer with empty pages and a continuation: read on until one row or the end.
      for await (const page of pages) {
        if (page.length > 0) {
          found = true;
          break;
        }
      }
    });
    return found;
  };

  return {
    async putChange(runId, clusterId, channel, change) {
      const data = gzipJson(change);
      if (data.length > MAX_BINARY_BYTES) throw new StoreError(table, 'save alert change', undefined, 'PropertyValueTooLarge', `${data.length} bytes gzip'd`);
      const pk = keys.runPartition(runId);
      const rk = changeRow(clusterId);
      const entity: TableEntity<Entity> = { partitionKey: pk, rowKey: rk, clusterId, channel: channel ?? '', data, gen: 0 };
      try {
        await call('save alert change', (o) => client.createEntity(entity, o));
        await bumpReported(pk, clusterId);
        return;
      } catch (e) {
        if (!lostRace(e)) throw e;
      }
      // Written before (a redelivered message): an unchanged change stays in the digest that holds it.
      for (let attempt = 0; attempt < 5; attempt++) {
        const existing = await get('read alert change', pk, rk);
        try {
          if (!existing) {
            await call('save alert change', (o) => client.upsertEntity(entity, 'Replace', o));
            return;
          }
          const old = decoded('read alert change', () => decode(changeSchema, existing, `alert change ${rk}`));
          if (Buffer.from(old.data).equals(data) && old.channel === (channel || null)) return;
          await call('save alert change', (o) => client.updateEntity(entity, 'Replace', { ...o, etag: existing.etag }));
          return;
        } catch (e) {
          if (!lostRace(e)) throw e;
        }
      }
      throw new StoreError(table, 'save alert change', 412, 'Contended', `the change of cluster ${clusterId} kept changing under this write`);
    },

    async listChanges(runId, generation) {
      // Generation 1 reads every row: rows written before generations have no `gen` and belong to it.
      const filter =
        generation !== undefined && generation > 1
          ? `${rowsWithPrefix(runId, CHANGE_ROW_PREFIX)} and gen eq ${generation.toFixed(0)}`
          : rowsWithPrefix(runId, CHANGE_ROW_PREFIX);
      const rows = await list('list alert changes', filter);
      return decoded('list alert changes', () =>
        rows.flatMap((r) => {
          const c = decode(changeSchema, r, `alert change ${String(r['rowKey'])}`);
          if (generation !== undefined && c.gen !== generation && !(generation === 1 && c.gen === undefined)) return [];
          return [{ clusterId: c.clusterId, channel: c.channel, change: JSON.parse(gunzipSync(c.data).toString('utf8')) as unknown }];
        }),
      );
    },

    hasUndigested,

    async markChanges(runId, generation) {
      const pk = keys.runPartition(runId);
      const rows = await list('list undigested alert changes', undigested(runId), ['RowKey']);
      const targets = rows.map((r) => ({ rowKey: String(r['rowKey']), etag: etagOf(r) }));
      const entity = (t: { rowKey: string }): TableEntity<Entity> => ({ partitionKey: pk, rowKey: t.rowKey, gen: generation });
      return inBatches(
        'mark alert changes',
        targets,
        (t) => ['update', entity(t), 'Merge', { etag: t.etag }],
        async (t) => {
          try {
            await call('mark alert change', (o) => client.updateEntity(entity(t), 'Merge', { ...o, etag: t.etag }));
            return true;
          } catch (e) {
            // Rewritten since it was listed (or pruned): the next generation takes it as it is now.
            if (lostRace(e) || (e instanceof StoreError && e.statusCode === 404)) return false;
            throw e;
          }
        },
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

    async settlePending(runId) {
      const mark = await get('read run alerts pending', PENDING_PARTITION, runKey(runId));
      if (!mark) return true;
      if (await hasUndigested(runId)) return false;
      try {
        await call('clear run alerts pending', (o) => client.deleteEntity(PENDING_PARTITION, runKey(runId), { ...o, etag: mark.etag }));
        return true;
      } catch (e) {
        if (lostRace(e) || (e instanceof StoreError && e.statusCode === 404)) return false;
        throw e;
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

    async runProgress(runId) {
      const pk = keys.runPartition(runId);
      const header = await get('read run header', pk, RUN_HEADER_ROW);
      if (!header) return null;
      const h = decoded('read run progress', () => decode(progressSchema, header, 'run header'));
      const [reported, last, build] = await Promise.all([
        get('read reported count', pk, REPORTED_ROW),
        h.queued > 0 ? get('read reported slot', pk, reportedSlot(h.queued)) : Promise.resolve(null),
        get('read digest build', pk, BUILD_ROW),
      ]);
      return decoded('read run progress', () => {
        const b = build ? decode(buildSchema, build, 'digest build') : null;
        const complete = h.queued === 0 || last !== null;
        return {
          startedAt: h.startedAt,
          queued: h.queued,
          complete,
          reported: complete ? h.queued : Math.min(h.queued - 1, reported ? decode(reportedSchema, reported, 'reported count').reported : 0),
          build:
            b && build
              ? { state: b.state, generation: b.generation, marked: b.marked ?? b.state === 'built', leaseUntil: b.leaseUntil, etag: build.etag }
              : null,
        };
      });
    },

    async claimBuild(runId, build, now, leaseMs) {
      const pk = keys.runPartition(runId);
      const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
      return unlessLostRace(async () => {
        if (!build) {
          const r = await call('claim digest build', (o) =>
            client.createEntity({ partitionKey: pk, rowKey: BUILD_ROW, state: 'building', generation: 1, marked: false, leaseUntil }, o),
          );
          return { etag: r.etag ?? '', generation: 1, marked: false };
        }
        // A builder that died mid-way leaves its lease to run out; then its generation is taken over as it stands.
        if (build.state === 'building' && build.leaseUntil && build.leaseUntil > now.toISOString()) return null;
        const next = build.state === 'built' ? { generation: build.generation + 1, marked: false } : { generation: build.generation, marked: build.marked };
        const r = await call('claim digest build', (o) =>
          client.updateEntity({ partitionKey: pk, rowKey: BUILD_ROW, state: 'building', ...next, leaseUntil }, 'Replace', { ...o, etag: build.etag }),
        );
        return { etag: r.etag ?? '', ...next };
      });
    },

    async claimMarked(runId, claim) {
      return unlessLostRace(async () => {
        const r = await call('mark digest build', (o) =>
          client.updateEntity({ partitionKey: keys.runPartition(runId), rowKey: BUILD_ROW, marked: true }, 'Merge', { ...o, etag: claim.etag }),
        );
        return { ...claim, etag: r.etag ?? '', marked: true };
      });
    },

    async finishBuild(runId, claim, digests) {
      const pk = keys.runPartition(runId);
      for (const d of digests) {
        if (d.body.length > MAX_STRING_CHARS) throw new StoreError(table, 'save digest', undefined, 'PropertyValueTooLarge', `${d.body.length} characters`);
        const entity = {
          partitionKey: pk,
          rowKey: deliveryRow(d.delivery.channel, d.delivery.generation),
          ...deliveryProps({ ...d.delivery, leaseUntil: null }),
          body: d.body,
        };
        try {
          await call('save digest', (o) => client.createEntity(entity, o));
        } catch (e) {
          // Written by an earlier builder that died before marking the build done: its state stands.
          if (!lostRace(e)) throw e;
        }
      }
      const finished = await unlessLostRace(() =>
        call('finish digest build', (o) =>
          client.updateEntity({ partitionKey: pk, rowKey: BUILD_ROW, state: 'built', generation: claim.generation, marked: true, leaseUntil: '' }, 'Replace', {
            ...o,
            etag: claim.etag,
          }),
        ),
      );
      return finished !== null;
    },

    async listDeliveries(runId) {
      const rows = await list('list digest deliveries', rowsWithPrefix(runId, DELIVERY_ROW_PREFIX), ['rowKey', ...Object.keys(DELIVERY)]);
      return decoded('list digest deliveries', () => rows.map((r) => ({ ...deliveryOf(r), etag: String(r['odata.etag'] ?? r['etag'] ?? '') })));
    },

    async deliveryBody(runId, d) {
      const row = await get('read digest body', keys.runPartition(runId), deliveryRow(d.channel, d.generation));
      return row ? decoded('read digest body', () => decode(bodySchema, row, `digest ${d.channel}`).body) : null;
    },

    async claimDelivery(runId, d, leaseUntil) {
      const { etag, ...rest } = d;
      const r = await updateDelivery('claim digest delivery', runId, { ...rest, status: 'posting', leaseUntil }, etag);
      return r && { etag: r.etag ?? '' };
    },

    async recordDelivery(runId, claim, d) {
      return (await updateDelivery('record digest delivery', runId, { ...d, leaseUntil: null }, claim.etag)) !== null;
    },

    async openAlerts(clusterId) {
      const rows = await list('list open alerts', odata`PartitionKey eq ${alertPartition(clusterId)}`, ['rowKey', 'key', 'alertId', 'firstSeenScanId']);
      const out = new Map<string, OpenAlert>();
      decoded('list open alerts', () => {
        for (const r of rows) out.set(decode(z.object({ key: text }), r, 'open alert').key, decode(openSchema, r, 'open alert'));
      });
      return out;
    },

    async openAlertsFor(clusterId, alerts) {
      const pk = alertPartition(clusterId);
      const out = new Map<string, OpenAlert>();
      const entity = (a: { key: string; alert: OpenAlert }): TableEntity<Entity> => ({ partitionKey: pk, rowKey: alertRow(a.key), key: a.key, ...a.alert });
      await inBatches(
        'open alerts',
        alerts,
        (a) => {
          out.set(a.key, a.alert);
          return ['create', entity(a)];
        },
        async (a) => {
          // One by one after a transaction lost a race: the alert another scan opened first is the one that counts.
          try {
            await call('open alert', (o) => client.createEntity(entity(a), o));
            out.set(a.key, a.alert);
          } catch (e) {
            if (!lostRace(e)) throw e;
            const row = await get('read open alert', pk, alertRow(a.key));
            out.set(a.key, row ? decoded('read open alert', () => decode(openSchema, row, 'open alert')) : a.alert);
          }
          return true;
        },
      );
      return out;
    },

    async closeAlerts(clusterId, alertKeys) {
      const pk = alertPartition(clusterId);
      await inBatches(
        'close alerts',
        alertKeys,
        (key) => ['delete', { partitionKey: pk, rowKey: alertRow(key) }],
        async (key) => {
          try {
            await call('close alert', (o) => client.deleteEntity(pk, alertRow(key), o));
          } catch (e) {
            if (statusOf(e) !== 404 && !(e instanceof StoreError && e.statusCode === 404)) throw e;
          }
          return true;
        },
      );
    },
  };
}
