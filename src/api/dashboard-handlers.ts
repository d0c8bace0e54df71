/**
 * GET /fleet/matrix and /fleet/trend: the data of the dashboard's fleet view that /summary does not
 * carry. Both read the fleet partition once (as /summary does); the trend also reads the run index,
 * the last runs and the scans started since the oldest of them (one query, bounded by MAX_WINDOW_SCANS).
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

const DEFAULT_TOPICS = 12;
const DEFAULT_RUNS = 10;
/** Scans one trend answer reads: 20 pages of 1,000, i.e. 2,000 clusters × 10 runs. */
export const MAX_WINDOW_SCANS = 20_000;

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

export async function getTrend(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const q = parseQuery(trendQuery, req.query);
  const [fleet, runs] = await Promise.all([loadFleet(deps, q), deps.store.listRuns(q.runs ?? DEFAULT_RUNS)]);
  const oldest = runs.reduce<string | null>((min, r) => (min === null || r.startedAt < min ? r.startedAt : min), null);
  const scans = oldest === null ? [] : await deps.store.listScanTotalsSince(oldest, MAX_WINDOW_SCANS);
  const body: Trend = buildTrend(runs, scans, fleet, deps.now(), scans.length >= MAX_WINDOW_SCANS);
  return json(200, body);
}
