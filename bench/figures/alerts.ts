/**
 * Alert figures, over the pure digest and routing functions (no delivery yet):
 * - alerts.card_bytes_worst_case: the digest of a run with 300 new FAILs across 100 clusters, with
 *   names at ARM's maximum lengths and the knowledge base's real titles and what-to-do lines.
 *   Goal: at most 20,000 bytes. Baseline: the same digest with no budget (everything listed).
 * - alerts.posts_per_run: messages built for a 1,000-cluster run with new FAILs on 300 clusters and
 *   two routes (plus the default channel). Goal: one message per channel. Baseline: the per-cluster
 *   cards the scanner posts today for the same run.
 */
import type { ClusterChange } from '../../src/alert/digest.js';
import { buildDigest } from '../../src/alert/digest.js';
import { alertRoutes, groupByChannel } from '../../src/alert/routes.js';
import { buildTeamsMessage, TEAMS_BUDGET_BYTES } from '../../src/alert/teams.js';
import { cfgChecks, digestCluster, scannedChange } from '../../test/alert/fixtures.js';
import type { Figure } from '../measure.js';
import { round } from '../measure.js';

const DASHBOARD = 'https://aks-fleet-scanner-prod-westeurope.azurewebsites.net/api/dashboard';
/** Topics whose checks are in aks-1.8's node and policies files: yours to fix and not. */
const TOPICS = ['pods.privileged', 'rbac.wildcards', 'kubelet.read-only-port', 'pods.host-pid', 'rbac.secrets-access', 'kubelet.event-qps'];

function run(clusters: number, failing: number): ClusterChange[] {
  const quiet = cfgChecks('aks-1.8', () => false);
  return Array.from({ length: clusters }, (_, i) => {
    // AKS allows 63-character cluster names and 90-character resource groups.
    const c = digestCluster(i, { name: `aks-${String(i).padStart(4, '0')}-`.padEnd(63, 'x'), resourceGroup: `rg-${i % 50}-`.padEnd(90, 'y') });
    if (i >= failing) return scannedChange(c, quiet, quiet);
    const now = TOPICS.slice(i % 4, (i % 4) + 3);
    return scannedChange(
      c,
      quiet,
      cfgChecks('aks-1.8', (t) => t !== null && now.includes(t), `pool${i % 3}`),
    );
  });
}

function cardBytes(): Figure {
  const clusters = run(100, 100);
  const input = { runId: 'run-20261126T020000Z-timer', channel: 'default', clusters, dashboardUrl: DASHBOARD };
  const m = buildDigest(input);
  const all = buildDigest({ ...input, budgetBytes: Number.MAX_SAFE_INTEGER });
  if (!m || !all) throw new Error('the bench run should produce a digest');
  return {
    value: m.bytes,
    unit: 'bytes',
    baseline: all.bytes,
    ratio: round(m.bytes / all.bytes, 3),
    goal: `<= ${TEAMS_BUDGET_BYTES} bytes`,
    met: m.bytes <= TEAMS_BUDGET_BYTES,
    note: `${m.newFails} new FAILs on ${m.clusters} clusters; ${m.included} rows listed, ${m.omitted} counted as "+N more"; baseline: the same digest unbounded (${all.included} rows)`,
  };
}

function postsPerRun(): Figure {
  const clusters = run(1000, 300);
  const routing = alertRoutes({
    ALERT_ROUTES: 'payments=resourceGroup:rg-1*; web=resourceGroup:rg-2*',
    ALERT_ROUTE_PAYMENTS_URL: 'https://payments.example.com/hook',
    ALERT_ROUTE_WEB_URL: 'https://web.example.com/hook',
    TEAMS_WEBHOOK_URL: 'https://default.example.com/hook',
  });
  const { channels } = groupByChannel(clusters, (c) => ({ ...c.cluster, tags: {} }), routing);
  const messages = channels.filter((g) => buildDigest({ runId: 'run-1', channel: g.route.name, clusters: g.items, dashboardUrl: DASHBOARD }) !== null).length;
  // Today's behaviour: one card per cluster with a new FAIL.
  const perCluster = clusters.filter(
    (c) => c.changes && buildTeamsMessage({ cluster: c.cluster, diff: c.changes, waivedBy: () => null, scanId: 'scan-1', dashboardUrl: DASHBOARD }),
  ).length;
  return {
    value: messages,
    unit: 'messages per run',
    baseline: perCluster,
    ratio: round(messages / perCluster, 3),
    goal: `<= 1 per channel (${channels.length} channels)`,
    met: messages <= channels.length,
    note: `1,000 clusters, 300 with new FAILs, routes payments and web plus the default; baseline: per-cluster cards as posted today. Messages built, not yet delivered (delivery is later work)`,
  };
}

export async function alertFigures(): Promise<Record<string, Figure>> {
  return { 'alerts.card_bytes_worst_case': cardBytes(), 'alerts.posts_per_run': postsPerRun() };
}
