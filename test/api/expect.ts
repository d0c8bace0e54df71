/** Expected numbers, counted straight from the seeded scans (not from the store or the API). */
import type { ClusterScan } from '../../src/model/cluster.js';
import type { CheckResult } from '../../src/model/result.js';
import { classify, latestOf, NOW, PERIOD_MS, type SeededCluster } from './fleet.js';

export function nodesOf(scan: ClusterScan): { checks: CheckResult[]; totals: { pass: number; fail: number; warn: number; info: number } }[] {
  return scan.outcome.kind === 'scanned' ? scan.outcome.nodes : [];
}

export function checkTotals(clusters: SeededCluster[]): { pass: number; fail: number; warn: number; info: number } {
  const t = { pass: 0, fail: 0, warn: 0, info: 0 };
  for (const c of clusters) {
    const r = latestOf(c).results;
    if (!r) continue;
    for (const n of nodesOf(r.scan)) for (const k of ['pass', 'fail', 'warn', 'info'] as const) t[k] += n.totals[k];
  }
  return t;
}

/** Distinct failing checks of a cluster's results, with their disposition ("unknown" when unclassified). */
export function failingOf(c: SeededCluster): Map<string, { topic: string | null; disposition: string }> {
  const out = new Map<string, { topic: string | null; disposition: string }>();
  const r = latestOf(c).results;
  if (!r) return out;
  for (const n of nodesOf(r.scan)) {
    for (const k of n.checks) {
      if (k.status !== 'FAIL') continue;
      const cl = classify(k, null);
      out.set(`${k.benchmark ?? '-'}:${k.id}`, { topic: cl?.topic ?? null, disposition: cl?.disposition ?? 'unknown' });
    }
  }
  return out;
}

export function dispositionCounts(clusters: SeededCluster[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const c of clusters) for (const f of failingOf(c).values()) t[f.disposition] = (t[f.disposition] ?? 0) + 1;
  return t;
}

export function clustersFailingTopic(clusters: SeededCluster[], topic: string): SeededCluster[] {
  return clusters.filter((c) => [...failingOf(c).values()].some((f) => f.topic === topic));
}

/** Not scanned for over two periods: the last results' finish, or the first attempt's start when none scanned. */
export function isStale(c: SeededCluster): boolean {
  const results = latestOf(c).results;
  const since = results ? results.scan.finishedAt : (c.attempts[0]?.scan.startedAt ?? '');
  return NOW.getTime() - Date.parse(since) > 2 * PERIOD_MS;
}

export function withResults(clusters: SeededCluster[]): SeededCluster[] {
  return clusters.filter((c) => latestOf(c).results !== null);
}
