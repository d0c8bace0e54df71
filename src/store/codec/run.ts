/**
 * Runs: the header (`r~`run, `run`), its copy in the newest-first index (`runs`, inverted start~run),
 * and one entity per cluster done (`r~`run, `c~`cluster), counted on read. The run's alert rows
 * share its partition, so pruning a run removes them too: each cluster's change (`x~`cluster), the
 * digest's build claim (`b~digest`) and one delivery per channel (`g~`channel), which the run
 * record shows (src/store/alerts.ts writes them).
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { keys, RUN_HEADER_ROW } from '../layout.js';
import { cutText, MAX_NAME_CHARS } from '../limits.js';
import { OUTCOME_KINDS } from '../../model/cluster.js';
import { RUN_TRIGGERS } from '../../model/run.js';
import type { DigestDelivery, OutcomeKind, RunRecord, RunStart } from '../types.js';
import { DELIVERY_STATUSES } from '../types.js';
import { CorruptEntityError, count, decode, optText, propNames, text, type Entity } from './values.js';

const runShape = {
  runId: text,
  trigger: z.enum(RUN_TRIGGERS),
  startedAt: text,
  queued: count,
};
const runSchema = z.object(runShape);
const clusterDoneSchema = z.object({ clusterId: text, outcome: z.enum(OUTCOME_KINDS) });

/** Row key prefixes of the run's alert rows (the cluster rows are `c~`). */
export const CHANGE_ROW_PREFIX = 'x';
export const DELIVERY_ROW_PREFIX = 'g';
export const BUILD_ROW = 'b~digest';
/** One numbered slot per cluster with a change row (`n~00000001`...) and the hint of how many (src/store/alerts.ts). */
export const REPORTED_ROW_PREFIX = 'n';
export const REPORTED_ROW = `${REPORTED_ROW_PREFIX}~reported`;

const deliveryShape = {
  channel: text,
  // Rows from before late digests are generation 1.
  generation: count.transform((n) => Math.max(1, n)),
  status: z.enum(DELIVERY_STATUSES),
  attempts: count,
  httpStatus: count,
  detail: z.string().optional().default(''),
  firstAttemptAt: optText,
  lastAttemptAt: optText,
  nextAttemptAt: optText,
  leaseUntil: optText,
  bytes: count,
  clusters: count,
  newFails: count,
  fixed: count,
};
const deliverySchema = z.object(deliveryShape);
export const DELIVERY = propNames(deliveryShape);

export const RUN = propNames(runShape);
/** Everything a run's progress and its deliveries need, for the partition query's $select (never a digest's body). */
export const RUN_SELECT: readonly string[] = [
  ...new Set(['rowKey', 'timestamp', ...Object.keys(runShape), ...Object.keys(clusterDoneSchema.shape), ...Object.keys(deliveryShape)]),
];

/** Generation 1 (the run's digest) is `g~channel`; a late digest's generation follows, zero-padded to sort. */
export function deliveryRow(channel: string, generation: number): string {
  return generation <= 1 ? `${DELIVERY_ROW_PREFIX}~${channel}` : `${DELIVERY_ROW_PREFIX}~${channel}~${String(generation).padStart(4, '0')}`;
}

/** A channel's delivery as stored; httpStatus 0 means none. */
export function deliveryProps(d: DigestDelivery & { leaseUntil: string | null }): z.input<typeof deliverySchema> {
  return {
    channel: d.channel,
    generation: d.generation,
    status: d.status,
    attempts: d.attempts,
    httpStatus: d.httpStatus ?? 0,
    detail: cutText(d.detail, 2000),
    firstAttemptAt: d.firstAttemptAt ?? '',
    lastAttemptAt: d.lastAttemptAt ?? '',
    nextAttemptAt: d.nextAttemptAt ?? '',
    leaseUntil: d.leaseUntil ?? '',
    bytes: d.bytes,
    clusters: d.clusters,
    newFails: d.newFails,
    fixed: d.fixed,
  };
}

export function deliveryOf(e: Entity): DigestDelivery & { leaseUntil: string | null } {
  const d = decode(deliverySchema, e, `digest delivery ${String(e['rowKey'])}`);
  return { ...d, httpStatus: d.httpStatus === 0 ? null : d.httpStatus };
}

const isAlertRow = (rowKey: unknown): boolean =>
  typeof rowKey === 'string' &&
  (rowKey === BUILD_ROW ||
    rowKey.startsWith(`${REPORTED_ROW_PREFIX}~`) ||
    rowKey.startsWith(`${CHANGE_ROW_PREFIX}~`) ||
    rowKey.startsWith(`${DELIVERY_ROW_PREFIX}~`));

function runProps(run: RunStart): z.input<typeof runSchema> {
  return { runId: run.runId, trigger: run.trigger, startedAt: run.startedAt, queued: run.queued };
}

/** Header before index: a run is listed only once its header can be read. */
export function runEntities(run: RunStart): { header: TableEntity<Entity>; index: TableEntity<Entity> } {
  return {
    header: { partitionKey: keys.runPartition(run.runId), rowKey: RUN_HEADER_ROW, ...runProps(run) },
    index: { ...keys.runIndex(run.runId, run.startedAt), ...runProps(run) },
  };
}

export function clusterDoneEntity(runId: string, clusterId: string, outcome: OutcomeKind): TableEntity<Entity> {
  const props: z.input<typeof clusterDoneSchema> = { clusterId: cutText(clusterId, MAX_NAME_CHARS), outcome };
  return { partitionKey: keys.runPartition(runId), rowKey: keys.runCluster(clusterId), ...props };
}

/** The run id an index entity names. */
export function indexedRunId(e: Entity): string {
  return decode(runSchema.pick({ runId: true }), e, 'run index entity').runId;
}

/** A run and its progress from its partition's rows; null when the header is not there. */
export function runRecordOf(rows: readonly Entity[]): RunRecord | null {
  const headerRow = rows.find((r) => r['rowKey'] === RUN_HEADER_ROW);
  if (!headerRow) return null;
  const header = decode(runSchema, headerRow, 'run header');
  const done = { scanned: 0, skipped: 0, failed: 0 };
  let last: string | null = null;
  const alerts: DigestDelivery[] = [];
  for (const r of rows) {
    if (r === headerRow) continue;
    if (isAlertRow(r['rowKey'])) {
      if (String(r['rowKey']).startsWith(`${DELIVERY_ROW_PREFIX}~`)) {
        const { leaseUntil: _lease, ...d } = deliveryOf(r);
        alerts.push(d);
      }
      continue;
    }
    const c = clusterDoneSchema.safeParse(r);
    if (!c.success) throw new CorruptEntityError(`run ${header.runId}: cluster row ${String(r['rowKey'])} is not a cluster outcome`);
    done[c.data.outcome]++;
    const ts = typeof r['timestamp'] === 'string' ? new Date(r['timestamp']).toISOString() : null;
    if (ts && (!last || ts > last)) last = ts;
  }
  const total = done.scanned + done.skipped + done.failed;
  return {
    runId: header.runId,
    trigger: header.trigger,
    startedAt: header.startedAt,
    queued: header.queued,
    done: total,
    ...done,
    pending: Math.max(0, header.queued - total),
    complete: total >= header.queued,
    lastReportAt: last,
    alerts: alerts.sort((a, b) => a.generation - b.generation || a.channel.localeCompare(b.channel)),
  };
}
