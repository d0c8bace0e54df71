/**
 * Runs: the header (`r~`run, `run`), its copy in the newest-first index (`runs`, inverted start~run),
 * and one entity per cluster done (`r~`run, `c~`cluster), counted on read. Written and read only here.
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { keys, RUN_HEADER_ROW } from '../layout.js';
import { cutText, MAX_NAME_CHARS } from '../limits.js';
import { OUTCOME_KINDS } from '../../model/cluster.js';
import { RUN_TRIGGERS } from '../../model/run.js';
import type { OutcomeKind, RunRecord, RunStart } from '../types.js';
import { CorruptEntityError, count, decode, propNames, text, type Entity } from './values.js';

const runShape = {
  runId: text,
  trigger: z.enum(RUN_TRIGGERS),
  startedAt: text,
  queued: count,
};
const runSchema = z.object(runShape);
const clusterDoneSchema = z.object({ clusterId: text, outcome: z.enum(OUTCOME_KINDS) });

export const RUN = propNames(runShape);
/** Everything a run's progress needs, for the partition query's $select. */
export const RUN_SELECT: readonly string[] = ['rowKey', 'timestamp', ...Object.keys(runShape), ...Object.keys(clusterDoneSchema.shape)];

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
  for (const r of rows) {
    if (r === headerRow) continue;
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
  };
}
