/**
 * The fleet over its last runs: FAIL and yours-to-fix per run, and which clusters moved between
 * their two latest scans. Pure: built from the run records and each run's rollup (its scans).
 */
import { YOURS } from '../report/fleet-schema.js';
import { iso } from '../report/summary.js';
import type { ClusterSummary, RunRecord, RunRollup, RunRollupScan } from '../store/types.js';
import type { Change, Trend, TrendPoint } from './schemas.js';

const yoursOf = (s: RunRollupScan): number => YOURS.reduce((n, k) => n + (s.triage[k] ?? 0), 0);

type TrendScan = RunRollupScan & { runId: string };

/** At most this many clusters listed per direction; the counts of both lists stay whole. */
export const MAX_CHANGES = 200;

export function buildTrend(runs: readonly RunRecord[], rollups: readonly RunRollup[], fleet: readonly ClusterSummary[], now: Date, truncated: boolean): Trend {
  const inFleet = new Map(fleet.map((s) => [s.clusterId.toLowerCase(), s]));
  const kept: TrendScan[] = rollups.flatMap((r) => r.scans.filter((s) => inFleet.has(s.clusterId.toLowerCase())).map((s) => ({ ...s, runId: r.runId })));
  const byRun = new Map<string, TrendScan[]>();
  const byCluster = new Map<string, TrendScan[]>();
  for (const s of kept) {
    byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
    const k = s.clusterId.toLowerCase();
    byCluster.set(k, [...(byCluster.get(k) ?? []), s]);
  }
  const points: TrendPoint[] = [...runs]
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0))
    .map((r) => {
      const list = byRun.get(r.runId) ?? [];
      return {
        runId: r.runId,
        trigger: r.trigger,
        startedAt: iso(r.startedAt),
        scanned: list.length,
        fail: list.reduce((n, s) => n + s.fail, 0),
        yoursToFix: list.reduce((n, s) => n + yoursOf(s), 0),
      };
    });
  const worse: Change[] = [];
  const better: Change[] = [];
  for (const [k, list] of byCluster) {
    if (list.length < 2) continue;
    list.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.scanId < b.scanId ? 1 : -1));
    const [after, before] = list as [TrendScan, TrendScan];
    const c = inFleet.get(k);
    if (!c) continue;
    const change: Change = {
      id: c.clusterId,
      subscriptionId: c.subscriptionId,
      resourceGroup: c.resourceGroup,
      name: c.name,
      fromScanId: before.scanId,
      toScanId: after.scanId,
      failBefore: before.fail,
      failAfter: after.fail,
      yoursBefore: yoursOf(before),
      yoursAfter: yoursOf(after),
    };
    if (change.failAfter > change.failBefore || change.yoursAfter > change.yoursBefore) worse.push(change);
    else if (change.failAfter < change.failBefore || change.yoursAfter < change.yoursBefore) better.push(change);
  }
  const byName = (a: Change, b: Change): number => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0);
  return {
    generatedAt: now.toISOString(),
    points,
    changes: {
      worse: worse.sort(byName).slice(0, MAX_CHANGES),
      better: better.sort(byName).slice(0, MAX_CHANGES),
      truncated: truncated || worse.length > MAX_CHANGES || better.length > MAX_CHANGES,
    },
  };
}
