/**
 * GET /fleet/matrix and /fleet/trend: the data of the dashboard's fleet view that /summary does not
 * carry. Both read the fleet partition once (as /summary does); the matrix also reads the topic
 * aggregate of the top topics a pool-scoped waiver touches (none without such waivers); the trend
 * reads the last runs and one stored rollup per run (built once per run: see runRollup).
 */
import { buildMatrix, poolWaiverTopics } from '../dashboard/matrix.js';
import type { Matrix, Trend } from '../dashboard/schemas.js';
import { buildTrend } from '../dashboard/trend.js';
import { effectiveWaivers } from '../knowledge/index.js';
import { compareClusters } from '../report/fleet-filter.js';
import { knowledgeBaseTopics } from '../report/fleet-knowledge.js';
import { summariseFleet } from '../report/summary.js';
import { loadFleet } from './fleet-handlers.js';
import { matrixQuery, parseQuery, trendQuery } from './query.js';
import { json } from './respond.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';
import type { ClusterSummary, RunRecord, RunRollup, RunRollupScan, ScanTotals } from '../store/types.js';

const DEFAULT_TOPICS = 12;
const DEFAULT_RUNS = 10;
/** Scans one run's rollup is built from at most (one query, 20 pages of 1,000). */
export const MAX_RUN_SCANS = 20_000;

export async function getMatrix(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const q = parseQuery(matrixQuery, req.query);
  const fleet = (await loadFleet(deps, q)).sort(compareClusters);
  const now = deps.now();
  const knowledge = knowledgeBaseTopics();
  const top = summariseFleet(fleet, {
    now,
    schedulePeriodMs: deps.schedulePeriodMs,
    top: q.topics ?? DEFAULT_TOPICS,
    knowledge,
    ...(q.disposition ? { disposition: q.disposition } : {}),
  }).topFailing;
  const waivers = deps.waivers ? await deps.waivers.cache.current() : effectiveWaivers(null);
  // Which pools fail a topic is kept only by the topic aggregate: read it for the topics a pool waiver touches.
  const topics = poolWaiverTopics(fleet, top, { waivers, now });
  const poolFailures = new Map(await Promise.all(topics.map(async (t) => [t, await deps.store.listTopicFailures(t)] as const)));
  const body: Matrix = buildMatrix(fleet, top, { now, schedulePeriodMs: deps.schedulePeriodMs, knowledge, waivers }, poolFailures);
  return json(200, body);
}

/** A cluster's scan of a run, as the rollup keeps it. */
function rollupScan(s: ScanTotals | ClusterSummary): RunRollupScan | null {
  if ('results' in s) {
    const r = s.results;
    return s.outcome === 'scanned' && r ? { clusterId: s.clusterId, scanId: s.scanId, startedAt: s.startedAt, fail: r.totals.fail, triage: r.triage } : null;
  }
  return s.outcome.kind === 'scanned' ? { clusterId: s.clusterId, scanId: s.scanId, startedAt: s.startedAt, fail: s.totals.fail, triage: s.triage } : null;
}

/**
 * A run's rollup: stored, or built once and stored when the run is over (complete, or two schedule
 * periods old: a straggler later than that is not waited for). The latest run is built from the
 * fleet partition (each cluster's latest attempt is in it), an older one from one query of its
 * scans across the cluster partitions; a run not yet over is built on every call and not stored.
 */
async function runRollup(run: RunRecord, latest: boolean, fleet: () => Promise<ClusterSummary[]>, deps: ApiDeps): Promise<{ rollup: RunRollup; cut: boolean }> {
  const stored = await deps.store.getRunRollup(run.runId);
  if (stored) return { rollup: stored, cut: false };
  const source: (ScanTotals | ClusterSummary)[] = latest
    ? (await fleet()).filter((s) => s.runId === run.runId)
    : await deps.store.listRunScanTotals(run.runId, MAX_RUN_SCANS);
  const rollup: RunRollup = { runId: run.runId, scans: source.map(rollupScan).filter((x): x is RunRollupScan => x !== null) };
  const cut = !latest && source.length >= MAX_RUN_SCANS;
  const over = run.complete || deps.now().getTime() - Date.parse(run.startedAt) > 2 * deps.schedulePeriodMs;
  if (over && !cut) await deps.store.saveRunRollup(rollup);
  return { rollup, cut };
}

export async function getTrend(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const q = parseQuery(trendQuery, req.query);
  const [fleet, runs] = await Promise.all([loadFleet(deps, q), deps.store.listRuns(q.runs ?? DEFAULT_RUNS)]);
  // The latest run's rollup needs the whole fleet: the filtered one is it only without filters.
  const filtered = Object.entries(q).some(([k, v]) => k !== 'runs' && v !== undefined);
  let whole: Promise<ClusterSummary[]> | null = null;
  const wholeFleet = (): Promise<ClusterSummary[]> => (whole ??= filtered ? deps.store.listClusterSummaries() : Promise.resolve(fleet));
  const newest = runs.reduce<RunRecord | null>((a, r) => (a === null || r.startedAt > a.startedAt ? r : a), null);
  const built = await Promise.all(runs.map((r) => runRollup(r, r === newest, wholeFleet, deps)));
  const body: Trend = buildTrend(
    runs,
    built.map((b) => b.rollup),
    fleet,
    deps.now(),
    built.some((b) => b.cut),
  );
  return json(200, body);
}
