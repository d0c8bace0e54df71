/**
 * The fleet entity (Clusters: `fleet`, cluster): one small entity per cluster with its latest attempt
 * and the results of its latest scanned attempt. The fleet summary reads the whole partition, so it
 * stays small: lists are cut to fit (`rTruncated`). Written and read only here.
 */
import { z } from 'zod';
import type { ClusterRef } from '../../model/cluster.js';
import { fitList, type ScanRollup } from '../rollup.js';
import type { ClusterSummary, StoredOutcome } from '../types.js';
import { outcomeProps, outcomeSchema, outcomeShape } from './results.js';
import { CorruptEntityError, count, decode, flag, jsonText, optText, propNames, text, totalsFrom, totalsProps, totalsShape, type Entity } from './values.js';

const strings = z.array(z.string());
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
  // Tags ride on the per-cluster entity so tag filters need no other read.
  tags: jsonText(z.record(z.string(), z.string()), {}),
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
};

const fleetSchema = z.object({ ...attemptShape, ...resultsShape });
type FleetProps = z.input<typeof fleetSchema>;
export type AttemptProps = Pick<FleetProps, keyof typeof attemptShape>;
export type ResultsProps = Pick<FleetProps, keyof typeof resultsShape>;

/** Property names, for filters and $select. */
export const FLEET = propNames({ ...attemptShape, ...resultsShape });

/** The fields that order attempts, for moving the pointer. */
const pointerSchema = fleetSchema.pick({ scanId: true, startedAt: true, rScanId: true, rStartedAt: true, firstAttemptAt: true });
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

export function attemptProps(a: AttemptInput): AttemptProps {
  const c = a.cluster;
  return {
    clusterId: c.id,
    subscriptionId: c.subscriptionId,
    subscriptionIdLc: c.subscriptionId.toLowerCase(),
    resourceGroup: c.resourceGroup,
    resourceGroupLc: c.resourceGroup.toLowerCase(),
    name: c.name,
    location: c.location,
    kubernetesVersion: c.kubernetesVersion,
    tags: JSON.stringify(c.tags ?? {}),
    ...outcomeProps(a.outcome),
    benchmark: a.benchmark ?? '',
    scanId: a.scanId,
    runId: a.runId,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
  };
}

export function resultsProps(a: AttemptInput, r: ScanRollup, nodeFailures: number): ResultsProps {
  const topics = fitList(r.failingTopics);
  const checks = fitList(r.failingChecks);
  return {
    rScanId: a.scanId,
    rStartedAt: a.startedAt,
    rFinishedAt: a.finishedAt,
    rBenchmark: a.benchmark ?? '',
    ...totalsProps(r.totals, 'r'),
    rNodes: r.nodes.length,
    rNodeFailures: nodeFailures,
    rPools: JSON.stringify(r.pools),
    rTriage: JSON.stringify(r.triage),
    rTopics: topics.json,
    rChecks: checks.json,
    rTruncated: topics.truncated || checks.truncated,
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
    tags: p.tags,
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
export const KEEP_SELECT: readonly string[] = Object.keys(keepSchema.shape);
export function keptScansOf(e: Entity): { clusterId: string; keep: Set<string | null> } {
  const p = decode(keepSchema, e, `cluster entity ${String(e['rowKey'])}`);
  return { clusterId: p.clusterId, keep: new Set([p.scanId, p.rScanId]) };
}
