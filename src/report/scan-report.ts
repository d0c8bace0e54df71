/** The result of a fleet scan as JSON and as terminal text. Checks carry the knowledge base's triage. */
import type { ArmStats } from '../azure/arm.js';
import type { ClusterScan, OutcomeKind } from '../model/cluster.js';
import type { CheckResult, Totals } from '../model/result.js';
import type { CheckTriage } from './explain.js';
import type { Style } from './style.js';
import { plain } from './style.js';

export interface ScanReportCheck extends CheckResult {
  aks: CheckTriage | null;
}

export interface ScanReportCluster {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  kubernetesVersion: string;
  benchmark: string | null;
  outcome: OutcomeKind;
  reason: string | null;
  detail: string | null;
  nodes: { name: string; pool: string | null; totals: Totals; checks: ScanReportCheck[] }[];
  nodeFailures: { node: string; pool: string | null; status: string; detail: string }[];
}

export interface ScanReport {
  clusters: ScanReportCluster[];
  totals: { clusters: number; scanned: number; skipped: number; failed: number };
  arm: { requests: number; byOperation: Record<string, number>; throttled: number };
}

export function buildScanReport(scans: readonly ClusterScan[], arm: ArmStats, triage: (c: CheckResult) => CheckTriage | null): ScanReport {
  const clusters = scans.map((s): ScanReportCluster => {
    const o = s.outcome;
    return {
      id: s.cluster.id,
      subscriptionId: s.cluster.subscriptionId,
      resourceGroup: s.cluster.resourceGroup,
      name: s.cluster.name,
      kubernetesVersion: s.cluster.kubernetesVersion,
      benchmark: s.benchmark,
      outcome: o.kind,
      reason: o.kind === 'scanned' ? null : o.reason,
      detail: o.kind === 'scanned' ? null : o.detail,
      nodes:
        o.kind === 'scanned'
          ? o.nodes.map((n) => ({ name: n.name, pool: n.pool, totals: n.totals, checks: n.checks.map((c) => ({ ...c, aks: triage(c) })) }))
          : [],
      nodeFailures: o.kind === 'scanned' ? o.nodeFailures : [],
    };
  });
  const count = (k: string) => clusters.filter((c) => c.outcome === k).length;
  return {
    clusters,
    totals: { clusters: clusters.length, scanned: count('scanned'), skipped: count('skipped'), failed: count('failed') },
    arm: { requests: arm.requests, byOperation: { ...arm.byOperation }, throttled: arm.throttled },
  };
}

export function renderScanText(r: ScanReport, st: Style = plain): string {
  const out: string[] = [];
  for (const c of r.clusters) {
    const where = `${c.subscriptionId.slice(0, 8)}/${c.resourceGroup}/${c.name}`;
    if (c.outcome === 'scanned') {
      const t = c.nodes.reduce((a, n) => ({ fail: a.fail + n.totals.fail, warn: a.warn + n.totals.warn, pass: a.pass + n.totals.pass }), {
        fail: 0,
        warn: 0,
        pass: 0,
      });
      const mine = new Set(c.nodes.flatMap((n) => n.checks.filter((x) => x.status === 'FAIL' && x.aks?.disposition === 'action').map((x) => x.aks?.topic)));
      const partial = c.nodeFailures.length ? st.yellow(` (${c.nodeFailures.length} node(s) without a result)`) : '';
      out.push(
        `${st.green('scanned')} ${where} ${c.benchmark ?? ''}: ${c.nodes.length} node(s), ${t.fail} FAIL, ${t.warn} WARN, ${t.pass} PASS; ${mine.size} topic(s) yours to fix${partial}`,
      );
    } else if (c.outcome === 'skipped') out.push(`${st.dim('skipped')} ${where}: ${c.reason} (${c.detail})`);
    else out.push(`${st.red('failed ')} ${where}: ${c.reason}: ${c.detail}`);
  }
  out.push('');
  out.push(st.bold(`${r.totals.clusters} cluster(s): ${r.totals.scanned} scanned, ${r.totals.skipped} skipped, ${r.totals.failed} failed`));
  out.push(
    st.dim(
      `ARM: ${r.arm.requests} request(s), ${r.arm.throttled} throttled; ${Object.entries(r.arm.byOperation)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ),
  );
  return out.join('\n') + '\n';
}
