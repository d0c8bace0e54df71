/**
 * GET /clusters/{sub}/{rg}/{name}/diff: what changed between two scans of one cluster, by the same
 * comparison as the alerts (src/diff: keyed by pool and knowledge-base topic, so a benchmark upgrade
 * that renumbers checks is no change, and a check only one benchmark has is coverage, not a new FAIL).
 *
 * Defaults: `to` is the latest attempt, `from` the attempt before `to` (the last two scans). Scans
 * are read by (cluster, scan id), so a scan id of another cluster is simply not found here.
 */
import { compareChecks } from '../diff/coverage.js';
import type { DiffItem } from '../diff/diff.js';
import type { StoredClusterScan } from '../store/types.js';
import { clusterPath, type ClusterPath } from './fleet-handlers.js';
import { diffQuery, parseQuery, wantsCsv } from './query.js';
import { badRequest, csv, json, notFound } from './respond.js';
import type { ClusterDiff, DiffScanRef } from './diff-schemas.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';

/** Attempts read to find the scan before `to`; retention keeps far fewer per cluster. */
const HISTORY_LIMIT = 1000;

const SECTIONS = ['newFailures', 'fixed', 'stillFailing', 'newWarnings', 'coverageAdded', 'coverageRemoved'] as const;

export const DIFF_CSV_HEADER = ['change', 'pool', 'topic', 'benchmark', 'checkId', 'title', 'disposition', 'before', 'after', 'failingNodes'] as const;

function ref(s: StoredClusterScan): DiffScanRef {
  return { scanId: s.scanId, startedAt: s.startedAt, outcome: s.outcome.kind };
}

async function scanOrNotFound(deps: ApiDeps, c: ClusterPath, scanId: string, param: 'from' | 'to'): Promise<StoredClusterScan> {
  const s = await deps.store.getClusterScan(c.id, scanId);
  if (!s) throw notFound(`query parameter "${param}": scan "${scanId}" is not a scan of ${c.label} (unknown, pruned, or of another cluster)`);
  return s;
}

/** The attempt that started just before `to` (by start time, then scan id, as the store orders attempts). */
async function scanBefore(deps: ApiDeps, c: ClusterPath, to: StoredClusterScan): Promise<StoredClusterScan | null> {
  const history = await deps.store.getClusterHistory(c.id, HISTORY_LIMIT);
  const before = history.find((h) => h.scanId !== to.scanId && (h.startedAt < to.startedAt || (h.startedAt === to.startedAt && h.scanId < to.scanId)));
  return before ? deps.store.getClusterScan(c.id, before.scanId) : null;
}

export function clusterDiff(from: StoredClusterScan | null, to: StoredClusterScan): ClusterDiff {
  // A scan that did not scan reports no checks: an unreachable cluster has fixed nothing.
  const empty: Record<(typeof SECTIONS)[number], DiffItem[]> = {
    newFailures: [],
    fixed: [],
    stillFailing: [],
    newWarnings: [],
    coverageAdded: [],
    coverageRemoved: [],
  };
  const changes = to.outcome.kind === 'scanned' ? compareChecks(from && from.outcome.kind === 'scanned' ? from.checks : null, to.checks) : empty;
  const before = from?.outcome.kind ?? null;
  return {
    clusterId: to.cluster.id,
    from: from ? ref(from) : null,
    to: ref(to),
    baseline: from !== null && from.outcome.kind === 'scanned',
    newFailures: changes.newFailures,
    fixed: changes.fixed,
    stillFailing: changes.stillFailing,
    newWarnings: changes.newWarnings,
    coverageAdded: changes.coverageAdded,
    coverageRemoved: changes.coverageRemoved,
    outcomeChange: before === to.outcome.kind ? null : { before, after: to.outcome.kind },
  };
}

export async function getClusterDiff(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  const q = parseQuery(diffQuery, req.query);
  const c = clusterPath(params);
  let to: StoredClusterScan | null;
  if (q.to !== undefined) to = await scanOrNotFound(deps, c, q.to, 'to');
  else {
    to = await deps.store.getClusterLatest(c.id);
    if (!to) throw notFound(`${c.label} is not known (never scanned, or not in this fleet)`);
  }
  const from = q.from !== undefined ? await scanOrNotFound(deps, c, q.from, 'from') : await scanBefore(deps, c, to);
  if (from && from.scanId === to.scanId) throw badRequest(`query parameters "from" and "to" name the same scan "${to.scanId}"`);
  const body = clusterDiff(from, to);
  if (!wantsCsv(q.format, req.headers)) return json(200, body);
  const rows = SECTIONS.flatMap((s) =>
    body[s].map((it: DiffItem) => [s, it.pool, it.topic, it.benchmark, it.id, it.title, it.disposition, it.before, it.after, it.failingNodes.join(' ')]),
  );
  return csv(`${c.name}-diff-${from?.scanId ?? 'none'}-${to.scanId}`, DIFF_CSV_HEADER, rows);
}
