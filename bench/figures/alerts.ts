/**
 * Alert figures:
 * - alerts.card_bytes_worst_case: the digest of a run with 300 new FAILs across 100 clusters, with
 *   names at ARM's maximum lengths and the knowledge base's real titles and what-to-do lines.
 *   Goal: at most 20,000 bytes. Baseline: the same digest with no budget (everything listed).
 * - alerts.posts_per_run: posts a local receiver gets for a 1,000-cluster run with new FAILs on 300
 *   clusters and two routes (plus the default channel), the run's changes in Azurite and four workers
 *   racing to post at the end. Goal: one post per channel. Baseline: one card per cluster with a new
 *   FAIL, as posted before the digest.
 * - alerts.storage_requests_per_cluster: Table Storage requests of the alert path per cluster in that
 *   run. Goal: bounded per cluster, i.e. flat with the run's size. Baseline: the same for a run a
 *   tenth the size, measured in the same bench (entities read per cluster in the note).
 */
import pLimit from 'p-limit';
import type { ClusterChange } from '../../src/alert/digest.js';
import { buildDigest } from '../../src/alert/digest.js';
import type { DigestDeps } from '../../src/alert/run-digest.js';
import { deliverRunDigests } from '../../src/alert/run-digest.js';
import { alertRoutes, routeFor } from '../../src/alert/routes.js';
import { startAzurite, type AzuriteInstance } from '../../src/local/azurite.js';
import { createRequestCounter, createStore, type PipelinePolicy } from '../../src/store/index.js';
import type { Post, Receiver } from '../../test/alert/receiver.js';
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

/** The alert path's storage traffic during one run: requests (retries included) and entities read. */
interface RunTraffic {
  clusters: number;
  requests: number;
  entitiesRead: number;
  posts: Post[];
}

/** Counts the entities each GET brings back (a query's `value`, or one for a point read). */
function entityCounter(): { policy: PipelinePolicy; read: () => number } {
  let n = 0;
  return {
    read: () => n,
    policy: {
      name: 'benchEntityCounter',
      async sendRequest(request, next) {
        const response = await next(request);
        if (request.method === 'GET' && response.status === 200 && response.bodyAsText) {
          const body = JSON.parse(response.bodyAsText) as { value?: unknown };
          n += Array.isArray(body.value) ? body.value.length : 1;
        }
        return response;
      },
    },
  };
}

/**
 * One run as the workers do it: each cluster's change goes into Table Storage (the change row and
 * its "done" row), then the worker asks whether the run's digests are due; the last four clusters
 * finish together, each on its own worker, racing for the claims. Only the alert path's calls
 * (putChange, deliverRunDigests) go through the counted stores; the receiver counts what arrives.
 */
async function alertRun(azurite: AzuriteInstance, rx: Receiver, size: number, failing: number, tag: string): Promise<RunTraffic> {
  const clusters = run(size, failing);
  const env = {
    ALERT_ROUTES: 'payments=resourceGroup:rg-1*; web=resourceGroup:rg-2*',
    ALERT_ROUTE_PAYMENTS_URL: rx.url(`/${tag}/payments`),
    ALERT_ROUTE_WEB_URL: rx.url(`/${tag}/web`),
    TEAMS_WEBHOOK_URL: rx.url(`/${tag}/default`),
  };
  const routing = alertRoutes(env);
  const target = { kind: 'connection-string' as const, value: azurite.connectionString };
  const counter = createRequestCounter();
  const entities = entityCounter();
  const counted = Array.from({ length: 4 }, () => createStore(target, { tablePrefix: tag, counter, policies: [entities.policy] }));
  const worker = createStore(target, { tablePrefix: tag });
  await worker.ensureTables();
  const runId = `run-20261126t020000z-${tag}`;
  await worker.startRun({ runId, trigger: 'timer', startedAt: '2026-11-26T02:00:00.000Z', queued: clusters.length });
  counter.reset();
  const deps = (i: number): DigestDeps => ({
    store: counted[i]!,
    now: () => new Date('2026-11-26T03:00:00.000Z'),
    log: () => undefined,
    alerts: { routing, waivers: async () => [], dashboardUrl: DASHBOARD, runDeadlineMs: 4 * 3_600_000 },
  });
  const finish = async (c: ClusterChange, i: number): Promise<void> => {
    await counted[i]!.alerts.putChange(runId, c.cluster.id, routeFor({ ...c.cluster, tags: {} }, routing)?.name ?? null, { ...c, waived: [], repeats: 0 });
    await worker.recordClusterDone(runId, c.cluster.id, 'scanned');
    await deliverRunDigests(runId, deps(i));
  };
  const limit = pLimit(16);
  await Promise.all(clusters.slice(0, -4).map((c, i) => limit(() => finish(c, i % 4))));
  await Promise.all(clusters.slice(-4).map((c, i) => finish(c, i)));
  const prefix = `/${tag}/`;
  return { clusters: size, requests: counter.total, entitiesRead: entities.read(), posts: rx.posts.filter((p) => p.path.startsWith(prefix)) };
}

function postsPerRun(big: RunTraffic): Figure {
  const posts = big.posts;
  const channels = new Set(posts.map((p) => p.path)).size;
  const largest = Math.max(...posts.map((p) => p.bytes));
  // Today's behaviour before the digest: one card per cluster with a new FAIL.
  const perCluster = run(big.clusters, Math.round(big.clusters * 0.3)).filter(
    (c) => c.changes && buildTeamsMessage({ cluster: c.cluster, diff: c.changes, waivedBy: () => null, scanId: 'scan-1', dashboardUrl: DASHBOARD }),
  ).length;
  return {
    value: posts.length,
    unit: 'posts received per run',
    baseline: perCluster,
    ratio: round(posts.length / perCluster, 3),
    goal: `one per channel (${channels} channels received)`,
    met: posts.length === 3 && channels === 3 && largest <= TEAMS_BUDGET_BYTES,
    note:
      `${big.clusters} clusters, 30% with new FAILs, routes payments and web plus the default; posts counted by a local receiver after four workers ` +
      `finished the run's last clusters at once (claims in Azurite); largest post ${largest} bytes; baseline: per-cluster cards as posted before the digest`,
  };
}

function storagePerCluster(big: RunTraffic, small: RunTraffic): Figure {
  const per = (t: RunTraffic): number => round(t.requests / t.clusters, 2);
  const read = (t: RunTraffic): number => round(t.entitiesRead / t.clusters, 1);
  const ratio = round(per(big) / per(small), 3);
  const readRatio = round(read(big) / read(small), 3);
  return {
    value: per(big),
    unit: 'storage requests per cluster',
    baseline: per(small),
    ratio,
    goal: "flat with the run's size: ratio to a run a tenth the size <= 1.25",
    met: ratio <= 1.25 && read(big) / read(small) <= 1.25,
    note:
      `the alert path of a ${big.clusters}-cluster run (each worker: its change row, the reported counter, whether the run is due; then the build, ` +
      `the claims and the posts), retries included; baseline: the same for ${small.clusters} clusters. Entities read per cluster: ` +
      `${read(big)} vs ${read(small)}, ratio ${readRatio} (reading the whole run per cluster, as before, grew with the run: about 2 per cluster ` +
      `of the run). Requests vary a little with how many workers race for the reported slots, not with the run's size`,
  };
}

/** ALERTS_BENCH_CLUSTERS shrinks the run for a quick check; the figures are defined at 1,000. */
const CLUSTERS = Number(process.env['ALERTS_BENCH_CLUSTERS'] ?? 1000);

export async function alertFigures(): Promise<Record<string, Figure>> {
  const rx = await startReceiver();
  const azurite = await startAzurite();
  try {
    const big = await alertRun(azurite, rx, CLUSTERS, Math.round(CLUSTERS * 0.3), 'benchbig');
    const small = await alertRun(azurite, rx, Math.max(8, Math.round(CLUSTERS / 10)), Math.round(CLUSTERS * 0.03), 'benchsmall');
    return {
      'alerts.card_bytes_worst_case': cardBytes(),
      'alerts.posts_per_run': postsPerRun(big),
      'alerts.storage_requests_per_cluster': storagePerCluster(big, small),
    };
  } finally {
    await azurite.stop();
    await rx.close();
  }
}
