/** Store records turned into the API's response shapes (schemas.ts). */
import { iso } from '../report/summary.js';
import { triageCheck } from '../knowledge/index.js';
import { addTotals, emptyTotals } from '../model/result.js';
import { isStale } from '../report/fleet-filter.js';
import { YOURS } from '../report/fleet-schema.js';
import type { ClusterSummary, ScanTotals, StoredClusterScan } from '../store/types.js';
import type { CheckView, ClusterItem, PoolView, ScanHeader } from './schemas.js';

/** The ARM id of a cluster, as the path names it; the store compares ids case-insensitively. */
export function clusterIdOf(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export function clusterHref(s: { subscriptionId: string; resourceGroup: string; name: string }): string {
  return `/api/clusters/${encodeURIComponent(s.subscriptionId)}/${encodeURIComponent(s.resourceGroup)}/${encodeURIComponent(s.name)}`;
}

export function clusterItem(s: ClusterSummary, now: Date, schedulePeriodMs: number): ClusterItem {
  const r = s.results;
  return {
    id: s.clusterId,
    subscriptionId: s.subscriptionId,
    resourceGroup: s.resourceGroup,
    name: s.name,
    location: s.location,
    kubernetesVersion: s.kubernetesVersion,
    tags: s.tags ?? {},
    outcome: s.outcome,
    reason: s.reason,
    detail: s.detail,
    benchmark: s.benchmark,
    scanId: s.scanId,
    runId: s.runId,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    firstAttemptAt: iso(s.firstAttemptAt || s.startedAt),
    stale: isStale(s, now, schedulePeriodMs),
    href: clusterHref(s),
    results: r
      ? {
          scanId: r.scanId,
          finishedAt: iso(r.finishedAt),
          benchmark: r.benchmark,
          totals: r.totals,
          nodes: r.nodes,
          nodeFailures: r.nodeFailures,
          pools: r.pools,
          triage: r.triage,
          yoursToFix: YOURS.reduce((n, k) => n + (r.triage[k] ?? 0), 0),
          failingTopics: r.failingTopics,
          failingChecks: r.failingChecks,
          failingTruncated: r.failingTruncated,
        }
      : null,
  };
}

export function scanHeader(s: ScanTotals): ScanHeader {
  return {
    scanId: s.scanId,
    runId: s.runId,
    benchmark: s.benchmark,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    outcome: s.outcome.kind === 'scanned' ? { kind: 'scanned' } : { kind: s.outcome.kind, reason: s.outcome.reason, detail: s.outcome.detail },
    totals: s.totals,
    nodes: s.nodes,
    nodeFailures: s.nodeFailures,
    triage: s.triage,
  };
}

/** The stored checks grouped by pool, each with the knowledge base's one-line advice. */
export function poolViews(scan: StoredClusterScan): PoolView[] {
  const advice = new Map<string, string | null>();
  const whatToDo = (c: StoredClusterScan['checks'][number]): string | null => {
    if (c.status !== 'FAIL' && c.status !== 'WARN') return null;
    const k = `${c.benchmark ?? ''}\u0000${c.id}\u0000${c.title}`;
    if (!advice.has(k)) advice.set(k, triageCheck({ id: c.id, benchmark: c.benchmark, title: c.title })?.whatToDo ?? null);
    return advice.get(k) ?? null;
  };
  const pools = new Map<string, PoolView>();
  const poolOf = (name: string | null): PoolView => {
    const key = name ?? '';
    let p = pools.get(key);
    if (!p) {
      p = { pool: name, nodes: [], totals: emptyTotals(), triage: {}, checks: [] };
      pools.set(key, p);
    }
    return p;
  };
  for (const n of scan.nodeList) {
    const p = poolOf(n.pool);
    p.nodes.push({ name: n.name, benchmark: n.benchmark, totals: n.totals, warnings: n.warnings });
    p.totals = addTotals(p.totals, n.totals);
  }
  for (const c of scan.checks) {
    const p = poolOf(c.pool);
    const view: CheckView = {
      id: c.id,
      benchmark: c.benchmark,
      section: c.section,
      title: c.title,
      status: c.status,
      counts: c.counts,
      failingNodes: c.failingNodes,
      topic: c.topic,
      topicTitle: c.topicTitle,
      disposition: c.disposition,
      whatToDo: whatToDo(c),
    };
    p.checks.push(view);
    if (c.status === 'FAIL') {
      const d = c.disposition ?? 'unknown';
      p.triage[d] = (p.triage[d] ?? 0) + 1;
    }
  }
  return [...pools.values()].sort((a, b) => ((a.pool ?? '') < (b.pool ?? '') ? -1 : (a.pool ?? '') > (b.pool ?? '') ? 1 : 0));
}
