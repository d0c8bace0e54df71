/**
 * The fleet digest (Clusters: `d`, `s00`..): the fields the fleet summary, the listing's sort and
 * filters and "which clusters fail topic T" need of every cluster, a record per cluster, spread
 * over a fixed number of shard rows by a hash of the cluster's key and kept gzip'd. Reading the
 * fleet this way is one query (the shards are one partition of a few dozen rows) however many
 * clusters there are; the fleet partition is ceil(clusters / 1,000) pages.
 *
 * A record is a function of its cluster's fleet entity, and records merge as the pointer moves:
 * the newer attempt (start, then scan id), the newer results, the earliest first attempt
 * (`joinDigest`). That merge is commutative, associative and idempotent, so writers that race,
 * write twice or write late converge on the fleet entity's own state, whatever their order.
 * Written and read only here.
 */
import { createHash } from 'node:crypto';
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { FAIL_REASONS, SKIP_REASONS } from '../../model/cluster.js';
import { chunkProps, pack, readChunks, unpack } from '../blob.js';
import { DIGEST_META_ROW, DIGEST_PARTITION, keys } from '../layout.js';
import type { ClusterDigest } from '../types.js';
import { clusterSummaryOf, pointerOf } from './fleet.js';
import { CorruptEntityError, count, decode, flag, text, type Entity } from './values.js';

/** Shards of the digest: few enough to read in one query, enough that writers of different clusters rarely share one. */
export const DIGEST_SHARDS = 64;

const totals = z.object({ pass: z.number().int().min(0), fail: z.number().int().min(0), warn: z.number().int().min(0), info: z.number().int().min(0) });
const attempt = {
  key: z.string().min(1),
  clusterId: z.string(),
  subscriptionId: z.string(),
  resourceGroup: z.string(),
  name: z.string(),
  kubernetesVersion: z.string(),
  scanId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  firstAttemptAt: z.string(),
  results: z
    .object({
      scanId: z.string(),
      startedAt: z.string(),
      finishedAt: z.string(),
      benchmark: z.string().nullable(),
      totals,
      triage: z.record(z.string(), z.number().int().min(0)),
      failingTopics: z.array(z.string()),
      failingTruncated: z.boolean(),
    })
    .nullable(),
};
const recordSchema = z.discriminatedUnion('outcome', [
  z.object({ ...attempt, outcome: z.literal('scanned'), reason: z.null() }),
  z.object({ ...attempt, outcome: z.literal('skipped'), reason: z.enum(SKIP_REASONS) }),
  z.object({ ...attempt, outcome: z.literal('failed'), reason: z.enum(FAIL_REASONS) }),
]) satisfies z.ZodType<ClusterDigest>;

const shardSchema = z.object({ clusters: count, dChunks: count, dBytes: count, dSha256: z.string().optional() });
const metaSchema = z.object({ complete: flag, builtAt: text });

/** The digest record of a fleet entity. */
export function digestOf(e: Entity): ClusterDigest {
  const s = clusterSummaryOf(e);
  const p = pointerOf(e);
  const key = e['rowKey'];
  if (typeof key !== 'string') throw new CorruptEntityError(`cluster entity: property rowKey is missing`);
  return {
    key,
    clusterId: s.clusterId,
    subscriptionId: s.subscriptionId,
    resourceGroup: s.resourceGroup,
    name: s.name,
    kubernetesVersion: s.kubernetesVersion,
    scanId: s.scanId,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    firstAttemptAt: s.firstAttemptAt,
    results: s.results
      ? {
          scanId: s.results.scanId,
          // Entities always carry rStartedAt with rScanId; ordering falls back to the finish when an old one lacks it.
          startedAt: p.rStartedAt ?? s.results.finishedAt,
          finishedAt: s.results.finishedAt,
          benchmark: s.results.benchmark,
          totals: s.results.totals,
          triage: s.results.triage,
          failingTopics: s.results.failingTopics,
          failingTruncated: s.results.failingTruncated,
        }
      : null,
    outcome: s.outcome,
    reason: s.reason,
  };
}

function newer(a: { startedAt: string; scanId: string }, b: { startedAt: string; scanId: string }): boolean {
  return a.startedAt > b.startedAt || (a.startedAt === b.startedAt && a.scanId >= b.scanId);
}

/**
 * Two records of one cluster merged as the fleet entity's pointer moves: the attempt fields of the
 * newer attempt, the newer results, the earlier first attempt. `b` wins ties, so rewriting a record
 * with itself changes nothing.
 */
export function joinDigest(a: ClusterDigest, b: ClusterDigest): ClusterDigest {
  const att = newer(b, a) ? b : a;
  const results = a.results === null ? b.results : b.results === null ? a.results : newer(b.results, a.results) ? b.results : a.results;
  const firstAttemptAt = a.firstAttemptAt < b.firstAttemptAt ? a.firstAttemptAt : b.firstAttemptAt;
  return { ...att, results, firstAttemptAt };
}

/** Merges records by cluster key (a cluster can sit in two shards if the shard count ever changes); sorted by key. */
export function mergeDigests(records: Iterable<ClusterDigest>): ClusterDigest[] {
  const byKey = new Map<string, ClusterDigest>();
  for (const r of records) {
    const had = byKey.get(r.key);
    byKey.set(r.key, had ? joinDigest(had, r) : r);
  }
  return [...byKey.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** The shard row of a cluster key: a hash, so that shards fill evenly whatever the subscriptions. */
export function digestShardOf(clusterKey: string, shards = DIGEST_SHARDS): { partitionKey: string; rowKey: string } {
  const h = createHash('sha256').update(clusterKey).digest().readUInt32BE(0);
  return keys.digestShard(h % shards);
}

export function digestShardEntity(row: { partitionKey: string; rowKey: string }, records: readonly ClusterDigest[]): TableEntity<Entity> {
  const packed = pack(records);
  if (packed.parts.length > 1) throw new Error(`digest shard ${row.rowKey}: ${records.length} clusters do not fit one entity`);
  const chunks = packed.parts[0] ?? [];
  return { ...row, clusters: records.length, dChunks: chunks.length, dBytes: packed.bytes, dSha256: packed.sha256, ...chunkProps(chunks) };
}

export function digestRecordsOf(e: Entity): ClusterDigest[] {
  const what = `digest shard ${String(e['rowKey'])}`;
  const p = decode(shardSchema, e, what);
  const chunks = readChunks(e, p.dChunks);
  if (!chunks) throw new CorruptEntityError(`${what}: a chunk is missing`);
  if (p.dChunks === 0) return [];
  return decode(z.array(recordSchema), unpack(chunks, p.dBytes, p.dSha256 ?? ''), what);
}

/** The row that says every fleet entity has its record: written once the digest was built from the fleet partition, or for a new fleet. */
export function digestMetaEntity(builtAt: string): TableEntity<Entity> {
  return { partitionKey: DIGEST_PARTITION, rowKey: DIGEST_META_ROW, complete: true, builtAt };
}

export function digestComplete(e: Entity | undefined): boolean {
  return e !== undefined && decode(metaSchema, e, 'digest meta row').complete;
}

/** The shard entities and the meta row for a set of fleet entities (seeding a benchmark fleet, rebuilding). */
export function digestEntities(fleet: readonly Entity[], builtAt: string, shards = DIGEST_SHARDS): TableEntity<Entity>[] {
  const byShard = new Map<string, { row: { partitionKey: string; rowKey: string }; records: ClusterDigest[] }>();
  for (const d of mergeDigests(fleet.map(digestOf))) {
    const row = digestShardOf(d.key, shards);
    const s = byShard.get(row.rowKey) ?? { row, records: [] };
    s.records.push(d);
    byShard.set(row.rowKey, s);
  }
  return [...[...byShard.values()].map((s) => digestShardEntity(s.row, s.records)), digestMetaEntity(builtAt)];
}
