/**
 * Alert figures:
 * - alerts.card_bytes_worst_case: the digest of a run with 300 new FAILs across 100 clusters, with
 *   names at ARM's maximum lengths and the knowledge base's real titles and what-to-do lines.
 *   Goal: at most 20,000 bytes. Baseline: the same digest with no budget (everything listed).
 * - alerts.posts_per_run: posts a local receiver gets for a 1,000-cluster run with new FAILs on 300
 *   clusters and two routes (plus the default channel), the run's changes in Azurite and four workers
 *   racing to post at the end. Goal: one post per channel. Baseline: one card per cluster with a new
 *   FAIL, as posted before the digest.
 */
import pLimit from 'p-limit';
import type { ClusterChange } from '../../src/alert/digest.js';
import { buildDigest } from '../../src/alert/digest.js';
import type { DigestDeps } from '../../src/alert/run-digest.js';
import { deliverRunDigests } from '../../src/alert/run-digest.js';
import { alertRoutes, routeFor } from '../../src/alert/routes.js';
import { startAzurite } from '../../src/local/azurite.js';
import { createStore } from '../../src/store/index.js';
import { startReceiver } from '../../test/alert/receiver.js';
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

/**
 * The run's changes go straight into Table Storage (each cluster's change row and its "done" row,
 * as the worker writes them), then four workers finish at once and race for the claims; the
 * receiver counts what actually arrives.
 */
async function postsPerRun(): Promise<Figure> {
  const clusters = run(1000, 300);
  const rx = await startReceiver();
  const azurite = await startAzurite();
  try {
    const env = {
      ALERT_ROUTES: 'payments=resourceGroup:rg-1*; web=resourceGroup:rg-2*',
      ALERT_ROUTE_PAYMENTS_URL: rx.url('/payments'),
      ALERT_ROUTE_WEB_URL: rx.url('/web'),
      TEAMS_WEBHOOK_URL: rx.url('/default'),
    };
    const routing = alertRoutes(env);
    const target = { kind: 'connection-string' as const, value: azurite.connectionString };
    const stores = Array.from({ length: 4 }, () => createStore(target, { tablePrefix: 'bench' }));
    const store = stores[0]!;
    await store.ensureTables();
    const runId = 'run-20261126t020000z-bench';
    await store.startRun({ runId, trigger: 'timer', startedAt: '2026-11-26T02:00:00.000Z', queued: clusters.length });
    const limit = pLimit(16);
    const last = clusters.slice(-4);
    await Promise.all(
      clusters.slice(0, -4).map((c) =>
        limit(async () => {
          await store.alerts.putChange(runId, c.cluster.id, routeFor({ ...c.cluster, tags: {} }, routing)?.name ?? null, { ...c, waived: [], repeats: 0 });
          await store.recordClusterDone(runId, c.cluster.id, 'scanned');
        }),
      ),
    );
    const deps = (i: number): DigestDeps => ({
      store: stores[i]!,
      now: () => new Date('2026-11-26T03:00:00.000Z'),
      log: () => undefined,
      alerts: { routing, waivers: async () => [], dashboardUrl: DASHBOARD, runDeadlineMs: 4 * 3_600_000 },
    });
    // The last four clusters finish together, each on its own worker, and each tries to post.
    await Promise.all(
      last.map(async (c, i) => {
        await stores[i]!.alerts.putChange(runId, c.cluster.id, routeFor({ ...c.cluster, tags: {} }, routing)?.name ?? null, { ...c, waived: [], repeats: 0 });
        await stores[i]!.recordClusterDone(runId, c.cluster.id, 'scanned');
        await deliverRunDigests(runId, deps(i));
      }),
    );
    const channels = new Set(rx.posts.map((p) => p.path)).size;
    const largest = Math.max(...rx.posts.map((p) => p.bytes));
    // Today's behaviour before the digest: one card per cluster with a new FAIL.
    const perCluster = clusters.filter(
      (c) => c.changes && buildTeamsMessage({ cluster: c.cluster, diff: c.changes, waivedBy: () => null, scanId: 'scan-1', dashboardUrl: DASHBOARD }),
    ).length;
    return {
      value: rx.posts.length,
      unit: 'posts received per run',
      baseline: perCluster,
      ratio: round(rx.posts.length / perCluster, 3),
      goal: `one per channel (${channels} channels received)`,
      met: rx.posts.length === 3 && channels === 3 && largest <= TEAMS_BUDGET_BYTES,
      note:
        `1,000 clusters, 300 with new FAILs, routes payments and web plus the default; posts counted by a local receiver after four workers ` +
        `finished the run's last clusters at once (claims in Azurite); largest post ${largest} bytes; baseline: per-cluster cards as posted before the digest`,
    };
  } finally {
    await azurite.stop();
    await rx.close();
  }
}

export async function alertFigures(): Promise<Record<string, Figure>> {
  return { 'alerts.card_bytes_worst_case': cardBytes(), 'alerts.posts_per_run': await postsPerRun() };
}
