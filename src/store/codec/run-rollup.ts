/**
 * A run's rollup for the dashboard's trend: each cluster's scan of the run with its FAIL count and
 * triage, gzip'd into one entity of the Runs table (partition `g~`run, row `rollup`), so the trend
 * over the last K runs reads K entities instead of querying every cluster's scans.
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { CHUNKS_PER_ENTITY, chunkProps, pack, readChunks, unpack } from '../blob.js';
import { joinKey, runKey } from '../keys.js';
import type { RunRollup } from '../types.js';
import { CorruptEntityError, type Entity } from './values.js';

export const RUN_ROLLUP_ROW = 'rollup';

export function runRollupKeys(runId: string): { partitionKey: string; rowKey: string } {
  return { partitionKey: joinKey(`run id ${runId}`, 'g', runKey(runId)), rowKey: RUN_ROLLUP_ROW };
}

const count = z.int().min(0);
const rollupSchema = z.object({
  runId: z.string().min(1),
  scans: z.array(
    z
      .object({ clusterId: z.string().min(1), scanId: z.string().min(1), startedAt: z.string().min(1), fail: count, triage: z.record(z.string(), count) })
      .strict(),
  ),
});
const headerSchema = z.object({ runId: z.string(), bytes: count, sha256: z.string(), chunks: z.int().min(1).max(CHUNKS_PER_ENTITY) });

/** The entity, or null when the rollup does not fit one entity (the trend then keeps computing it). */
export function runRollupEntity(r: RunRollup): TableEntity<Entity> | null {
  const p = pack(r);
  const [chunks, ...more] = p.parts;
  if (!chunks || more.length > 0) return null;
  return { ...runRollupKeys(r.runId), runId: r.runId, bytes: p.bytes, sha256: p.sha256, chunks: chunks.length, ...chunkProps(chunks) };
}

export function runRollupOf(e: Entity): RunRollup {
  const h = headerSchema.safeParse(e);
  if (!h.success) throw new CorruptEntityError(`run rollup: ${h.error.issues[0]?.message ?? 'bad header'}`);
  const chunks = readChunks(e, h.data.chunks);
  if (!chunks) throw new CorruptEntityError(`run rollup of ${h.data.runId}: a chunk is missing`);
  const body = rollupSchema.safeParse(unpack(chunks, h.data.bytes, h.data.sha256));
  if (!body.success) throw new CorruptEntityError(`run rollup of ${h.data.runId}: ${body.error.issues[0]?.message ?? 'bad body'}`);
  return body.data;
}
