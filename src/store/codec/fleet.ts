/**
 * The fleet entity (Clusters: `fleet`, cluster): one small entity per cluster with its latest attempt
 * and the results of its latest scanned attempt. The fleet summary reads the whole partition, so it
 * stays small: lists are cut to fit (`rTruncated`). Written and read only here.
 */
import { stringRecord } from '../../model/records.js';
import { z } from 'zod';
import type { ClusterRef } from '../../model/cluster.js';
import { chunkProps, pack, readChunks, unpack } from '../blob.js';
import { cutText, MAX_NAME_CHARS, MAX_TAGS_TEXT_CHARS, TAGS_GZ_CHUNKS } from '../limits.js';
import { fitList, type ScanRollup } from '../rollup.js';
import type { ClusterSummary, StoredOutcome } from '../types.js';
import { outcomeProps, outcomeSchema, outcomeShape } from './results.js';
import { CorruptEntityError, count, decode, flag, jsonText, optText, propNames, text, totalsFrom, totalsProps, totalsShape, type Entity } from './values.js';

const strings = z.array(z.string());
const tagsSchema = stringRecord;
const TAGS_GZ_PREFIX = 'tagsGz';
const counts = z.record(z.string(), z.number().int().min(0));

const attemptShape = {
  clusterId: text,
  subscriptionId: text,
  /** Lower-cased copies: filters compare case-insensitively, and Table Storage has no tolower(). */
  subscriptionIdLc: z.string().optional(),
  resourceGroup: text,
  resourceGroupLc: z.string().optional(),
  name: text,
  location: text,
  kubernetesVersion: text,
  // Tags ride on the per-cluster entity so tag filters need no other read: readable JSON, cut to fit
  // when large (tagsCut), and then whole, gzip'd, in tagsGz0.. (tagsGzChunks of them).
  tags: jsonText(tagsSchema, {}),
  tagsCut: flag,
  tagsGzChunks: count,
  tagsGzBytes: count,
  tagsGzSha256: z.string().optional(),
  ...outcomeShape,
  benchmark: optText,
  scanId: text,
  runId: text,
  startedAt: text,
  finishedAt: text,
  firstAttemptAt: optText,
};

const resultsShape = {
  rScanId: optText,
  rStartedAt: optText,
  rFinishedAt: optText,
  rBenchmark: optText,
  ...totalsShape('r'),
  rNodes: count,
  rNodeFailures: count,
  rPools: jsonText(strings, []),
  rTriage: jsonText(counts, {}),
  rTopics: jsonText(strings, []),
  rChecks: jsonText(strings, []),
  rTruncated: flag,
  /** Per failing topic, a fingerprint of what these results put in the topic's aggregate row. */
  rTopicSigs: jsonText(z.record(z.string(), z.string()), {}),
};

/** Topics whose aggregate rows may not match the results yet: set with the pointer, cleared once the rows are written. */
const aggregateShape = {
  aggDirty: jsonText(strings, []),
};

const fleetSchema = z.object({ ...attemptShape, ...resultsShape, ...aggregateShape });
type FleetProps = z.input<typeof fleetSchema>;
export type AttemptProps = Pick<FleetProps, keyof typeof attemptShape>;
export type ResultsProps = Pick<FleetProps, keyof typeof resultsShape>;

/** Property names, for filters and $select. */
export const FLEET = propNames({ ...attemptShape, ...resultsShape, ...aggregateShape });

/** The fields that order attempts, for moving the pointer. */
const pointerSchema = fleetSchema.pick({
  scanId: true,
  startedAt: true,
  rScanId: true,
  rStartedAt: true,
  firstAttemptAt: true,
  // What keeping the topic aggregate needs: the rows' names, the results' fingerprints, and what is left to write.
  clusterId: true,
  subscriptionId: true,
  resourceGroup: true,
  name: true,
  rTopics: true,
  rTopicSigs: true,
  aggDirty: true,
});
export type FleetPointer = z.output<typeof pointerSchema>;
export const POINTER_SELECT: readonly string[] = Object.keys(pointerSchema.shape);

export interface AttemptInput {
  cluster: ClusterRef;
  outcome: StoredOutcome;
  benchmark: string | null;
  scanId: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
}

/** ARM's limits on one tag: a longer name or value cannot come from ARM and is cut. */
const TAG_NAME_CHARS = 512;
const TAG_VALUE_CHARS = 256;
/** Added to tags that were cut and could not be kept whole: says what is missing. */
export const TAGS_CUT_MARKER = 'aks-fleet-scanner:tags-cut';

/** Tags as readable JSON within MAX_TAGS_TEXT_CHARS: whole tags while they fit, then a marker tag. */
function readableTags(tags: Record<string, string>): { json: string; cut: boolean } {
  const whole = JSON.stringify(tags);
  if (whole.length <= MAX_TAGS_TEXT_CHARS) return { json: whole, cut: false };
  const entries = Object.entries(tags);
  // Pairs, then Object.fromEntries: an assignment would turn a tag named __proto__ into a prototype.
  const kept: [string, string][] = [];
  // Room for the marker tag, whose value is at most ~60 characters.
  let size = 2 + 100;
  let n = 0;
  for (const [k, v] of entries) {
    const name = cutText(k, TAG_NAME_CHARS);
    const value = cutText(v, TAG_VALUE_CHARS);
    const add = JSON.stringify(name).length + JSON.stringify(value).length + 2;
    if (size + add > MAX_TAGS_TEXT_CHARS) break;
    kept.push([name, value]);
    size += add;
    n++;
  }
  kept.push([TAGS_CUT_MARKER, `${n} of ${entries.length} tags shown, cut to fit`]);
  return { json: JSON.stringify(Object.fromEntries(kept)), cut: true };
}

/** The tags properties: readable JSON and, when that had to be cut, the whole tags gzip'd (when they fit 4 chunks). */
function tagsProps(tags: Record<string, string>): Entity {
  const readable = readableTags(tags);
  const gz = readable.cut ? pack(tags, TAGS_GZ_CHUNKS) : null;
  const whole = gz !== null && gz.parts.length === 1 ? (gz.parts[0] ?? []) : [];
  // Every chunk slot is written, empty when unused, so a replaced entity keeps no stale chunk.
  const slots = Array.from({ length: TAGS_GZ_CHUNKS }, (_, i) => whole[i] ?? new Uint8Array(0));
  const props: Pick<AttemptProps, 'tags' | 'tagsCut' | 'tagsGzChunks' | 'tagsGzBytes' | 'tagsGzSha256'> = {
    tags: readable.json,
    tagsCut: readable.cut,
    tagsGzChunks: whole.length,
    tagsGzBytes: whole.length ? (gz?.bytes ?? 0) : 0,
    tagsGzSha256: whole.length ? (gz?.sha256 ?? '') : '',
  };
  return { ...props, ...chunkProps(slots, TAGS_GZ_PREFIX) };
}

function tagsOf(e: Entity, p: z.output<typeof fleetSchema>, what: string): Record<string, string> {
  if (p.tagsGzChunks === 0) return p.tags;
  const chunks = readChunks(e, p.tagsGzChunks, TAGS_GZ_PREFIX);
  if (!chunks) throw new CorruptEntityError(`${what}: a tags chunk is missing`);
  return decode(tagsSchema, unpack(chunks, p.tagsGzBytes, p.tagsGzSha256 ?? ''), `${what} tags`);
}

const name = (v: string): string => cutText(v, MAX_NAME_CHARS);

export function attemptProps(a: AttemptInput): Entity {
  const c = a.cluster;
  const props: Omit<AttemptProps, 'tags' | 'tagsCut' | 'tagsGzChunks' | 'tagsGzBytes' | 'tagsGzSha256'> = {
    clusterId: name(c.id),
    subscriptionId: name(c.subscriptionId),
    subscriptionIdLc: name(c.subscriptionId.toLowerCase()),
    resourceGroup: name(c.resourceGroup),
    resourceGroupLc: name(c.resourceGroup.toLowerCase()),
    name: name(c.name),
    location: name(c.location),
    kubernetesVersion: name(c.kubernetesVersion),
    ...outcomeProps(a.outcome),
    benchmark: name(a.benchmark ?? ''),
    scanId: a.scanId,
    runId: a.runId,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
  };
  return { ...props, ...tagsProps(c.tags ?? {}) };
}

export function resultsProps(a: AttemptInput, r: ScanRollup, nodeFailures: number, topicSigs: Record<string, string>): ResultsProps {
  const topics = fitList(r.failingTopics);
  const checks = fitList(r.failingChecks);
  return {
    rScanId: a.scanId,
    rStartedAt: a.startedAt,
    rFinishedAt: a.finishedAt,
    rBenchmark: name(a.benchmark ?? ''),
    ...totalsProps(r.totals, 'r'),
    rNodes: r.nodes.length,
    rNodeFailures: nodeFailures,
    rPools: JSON.stringify(r.pools),
    rTriage: JSON.stringify(r.triage),
    rTopics: topics.json,
    rChecks: checks.json,
    rTruncated: topics.truncated || checks.truncated,
    rTopicSigs: JSON.stringify(topicSigs),
  };
}

function required(v: string | null, message: string): string {
  if (v === null) throw new CorruptEntityError(message);
  return v;
}

export function pointerOf(e: Entity): FleetPointer {
  return decode(pointerSchema, e, `cluster entity ${String(e['rowKey'])}`);
}

export function clusterSummaryOf(e: Entity): ClusterSummary {
  const what = `cluster entity ${String(e['rowKey'])}`;
  const p = decode(fleetSchema, e, what);
  const out = decode(outcomeSchema, e, what);
  return {
    clusterId: p.clusterId,
    subscriptionId: p.subscriptionId,
    resourceGroup: p.resourceGroup,
    name: p.name,
    location: p.location,
    kubernetesVersion: p.kubernetesVersion,
    tags: tagsOf(e, p, what),
    outcome: out.kind,
    reason: out.kind === 'scanned' ? null : out.reason,
    detail: out.kind === 'scanned' ? null : out.detail,
    benchmark: p.benchmark,
    scanId: p.scanId,
    runId: p.runId,
    startedAt: p.startedAt,
    finishedAt: p.finishedAt,
    firstAttemptAt: p.firstAttemptAt ?? p.startedAt,
    results:
      p.rScanId === null
        ? null
        : {
            scanId: p.rScanId,
            finishedAt: required(p.rFinishedAt, `${what}: property rFinishedAt is missing`),
            benchmark: p.rBenchmark,
            totals: totalsFrom(p, 'r'),
            nodes: p.rNodes,
            nodeFailures: p.rNodeFailures,
            pools: p.rPools,
            triage: p.rTriage,
            failingTopics: p.rTopics,
            failingChecks: p.rChecks,
            failingTruncated: p.rTruncated,
          },
  };
}

/** What pruning needs of each fleet entity: the two scans it must keep. */
const keepSchema = fleetSchema.pick({ clusterId: true, scanId: true, rScanId: true });
export const KEEP_SELECT: readonly string[] = ['rowKey', ...Object.keys(keepSchema.shape)];
/** The cluster's key is the entity's RowKey: the id property may have been cut to fit, the key never is. */
export function keptScansOf(e: Entity): { clusterKey: string; keep: Set<string | null> } {
  const p = decode(keepSchema.extend({ rowKey: text }), e, `cluster entity ${String(e['rowKey'])}`);
  return { clusterKey: p.rowKey, keep: new Set([p.scanId, p.rScanId]) };
}
