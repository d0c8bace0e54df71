/**
 * The dashboard in headless Chromium against 2,000 stored clusters (the `serve` host over Azurite):
 * - dashboard.render_ms_2000 (and .fleet, .cluster, ...): each view's render time against the time
 *   its data took to arrive, both from the page's own Performance timeline in the same load:
 *   fetch = first data request's start to the last one's end; render = that end to the page's
 *   "aksfs-ready" mark. Goal: rendering takes at most as long as fetching (ratio <= 1).
 * - dashboard.fleet_requests_2000: the data requests the fleet view makes (goal <= 3).
 * - dashboard.trend_storage_requests_2000: storage requests of one GET /api/fleet/trend once the
 *   runs' rollups are stored (the first answer, which stores them, is in the note).
 * The fleet and topic partitions are seeded with the entities saveClusterScan leaves there
 * (summaryEntities, in batches, as readscale.ts does: 2,000 full saves take minutes and measure
 * nothing here); the clusters the cluster and node views open, and the last run's scans, are full
 * saves, and every cluster's done row of each run is written in transactions. DASHBOARD_BENCH_CLUSTERS overrides the fleet size for a quick look.
 */
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { handleApiRequest } from '../../src/api/index.js';
import { startAzurite } from '../../src/local/azurite.js';
import { classifyUnversioned } from '../../src/pipeline/classify.js';
import { clusterDoneEntity } from '../../src/store/codec/run.js';
import { createStore, createTableClient, entityWireSize, planBatches, summaryEntities, type Classifier, type Store } from '../../src/store/index.js';
import { hasChromium, launchChromium, openView, startServeHost } from '../../test/browser/harness.js';
import type { Figure } from '../measure.js';
import { ratioFigure, round } from '../measure.js';
import { clusterScan } from './store.js';

const CLUSTERS = Number(process.env['DASHBOARD_BENCH_CLUSTERS'] ?? 2000);
/** Clusters saved in full (every table), so the cluster, node and trend reads find real rows. */
const FULL = Math.min(CLUSTERS, 20);
const ROUNDS = 3;
const RUNS = ['bench-run-1', 'bench-run-2'] as const;

interface Timing {
  fetchMs: number;
  renderMs: number;
  requests: number;
}

/** Read in the page: the data requests' span and the ready mark (a string: no DOM types here). */
const TIMING = `(() => {
  const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/') && !e.name.includes('/api/dashboard'));
  const ready = performance.getEntriesByName('aksfs-ready').pop();
  if (!api.length || !ready) return null;
  const start = Math.min(...api.map((e) => e.startTime));
  const end = Math.max(...api.map((e) => e.responseEnd));
  return { fetchMs: end - start, renderMs: Math.max(0, ready.startTime - end), requests: api.length };
})()`;

function firstNode(): string {
  const o = clusterScan(0).outcome;
  return o.kind === 'scanned' ? (o.nodes[0]?.name ?? '') : '';
}

async function timeView(page: Page, base: string, hash: string): Promise<Timing> {
  const samples: Timing[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await page.goto('about:blank');
    const t0 = Date.now();
    await openView(page, base, hash, 120_000);
    process.stderr.write(`dashboard bench: ${hash} loaded in ${Date.now() - t0} ms\n`);
    const t = (await page.evaluate(TIMING)) as Timing | null;
    if (!t) throw new Error(`dashboard bench: view ${hash} recorded no data requests or no ready mark`);
    samples.push(t);
  }
  samples.sort((a, b) => a.renderMs / a.fetchMs - b.renderMs / b.fetchMs);
  return samples[Math.floor(samples.length / 2)] as Timing;
}

/** The fleet: summary entities for every cluster, then full saves of the first FULL over two runs. */
async function seedFleet(store: Store, connection: string): Promise<void> {
  const verdicts = new Map<string, ReturnType<Classifier>>();
  // The fleet repeats six node reports: classify each distinct check once, not once per cluster.
  const classify: Classifier = (c, pool) => {
    const k = `${pool ?? ''}\u0000${c.benchmark ?? ''}\u0000${c.id}\u0000${c.title}`;
    if (!verdicts.has(k)) verdicts.set(k, classifyUnversioned(c, pool));
    return verdicts.get(k) ?? null;
  };
  const writer = createTableClient({ kind: 'connection-string', value: connection }, store.tables.clusters);
  const entities = Array.from({ length: CLUSTERS }, (_, i) => summaryEntities(clusterScan(i), { runId: RUNS[1], scanId: `bench-scan-${i}` }, classify)).flat();
  const batches = planBatches(entities, entityWireSize);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = next++; b < batches.length; b = next++) await writer.submitTransaction(batches[b]!.map((e) => ['upsert', e, 'Replace']));
    }),
  );
  const runs = createTableClient({ kind: 'connection-string', value: connection }, store.tables.runs);
  for (const [r, runId] of RUNS.entries()) {
    await store.startRun({ runId, trigger: 'timer', startedAt: `2026-11-2${5 + r}T02:00:00.000Z`, queued: CLUSTERS });
    let i = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let c = i++; c < FULL; c = i++) {
          const scan = clusterScan(c);
          // Run 1 a day earlier; run 2 is the latest results the summary entities describe.
          const at = new Date(Date.parse(scan.startedAt) - (RUNS.length - 1 - r) * 86_400_000).toISOString();
          await store.saveClusterScan({ ...scan, startedAt: at, finishedAt: at }, { runId, scanId: `bench-scan-${c}${r === 0 ? '-prev' : ''}` }, classify);
        }
      }),
    );
    // Every cluster done in the run: the rows recordClusterDone writes, in transactions of 100.
    const done = Array.from({ length: CLUSTERS }, (_, c) => clusterDoneEntity(runId, clusterScan(c).cluster.id, 'scanned'));
    for (const b of planBatches(done, entityWireSize)) await runs.submitTransaction(b.map((e) => ['upsert', e, 'Replace']));
  }
}

export async function dashboardFigures(): Promise<Record<string, Figure>> {
  if (!hasChromium) {
    process.stderr.write('dashboard bench: /usr/bin/chromium is missing (run .ci/browser.sh): not measured\n');
    return {};
  }
  const azurite = await startAzurite();
  const target = { kind: 'connection-string' as const, value: azurite.connectionString };
  const store = createStore(target, { tablePrefix: 'benchdash' });
  await store.ensureTables();
  const s0 = performance.now();
  await seedFleet(store, azurite.connectionString);
  process.stderr.write(`dashboard bench: ${CLUSTERS} clusters stored (${FULL} in full, ${RUNS.length} runs) in ${Math.round(performance.now() - s0)} ms\n`);
  const out: Record<string, Figure> = {};

  const trendOnce = async (): Promise<number> => {
    store.requests.reset();
    const res = await handleApiRequest(
      { method: 'GET', path: '/fleet/trend', query: new URLSearchParams(), headers: {} },
      { store, now: () => new Date('2026-11-26T12:00:00Z'), schedulePeriodMs: 86_400_000, requestScan: async () => ({ runId: '-', queued: 0, missing: [] }) },
    );
    if (res.status !== 200) throw new Error(`dashboard bench: GET /fleet/trend answered ${res.status}: ${res.body}`);
    return store.requests.total;
  };
  // The first answer builds and stores each finished run's rollup; every later one reads them.
  const firstTrend = await trendOnce();
  const trendRequests = await trendOnce();
  const pages = Math.ceil((CLUSTERS + 1) / 1000);
  const maxTrend = pages + 1 + RUNS.length * (pages + 1);
  out['dashboard.trend_storage_requests_2000'] = {
    value: trendRequests,
    unit: 'storage requests',
    baseline: null,
    ratio: null,
    goal: `<= ${maxTrend}`,
    met: trendRequests <= maxTrend,
    note:
      `GET /api/fleet/trend over ${CLUSTERS} clusters and ${RUNS.length} finished runs, rollups stored: ${JSON.stringify(store.requests.byKind)}; ` +
      `the fleet partition (${pages} pages), the run index, each run's partition (${pages} pages) and its rollup; the first answer, which built the rollups, took ${firstTrend}`,
  };

  const server = await startServeHost(store, target, azurite.connectionString);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const c = clusterScan(0).cluster;
    const views: [string, string][] = [
      ['fleet', '#/'],
      ['cluster', `#/cluster/${c.subscriptionId}/${c.resourceGroup}/${c.name}`],
      ['node', `#/cluster/${c.subscriptionId}/${c.resourceGroup}/${c.name}/node/${encodeURIComponent(firstNode())}`],
      ['topic', '#/topic/kubelet.read-only-port'],
      ['runs', '#/runs'],
      ['waivers', '#/waivers'],
    ];
    const per: Record<string, Timing> = {};
    try {
      for (const [name, hash] of views) per[name] = await timeView(page, server.url, hash);
    } catch (e) {
      // A view that could not be timed is reported, not hidden behind a crash of the whole bench.
      process.stderr.write(`dashboard bench: not measured: ${e instanceof Error ? e.message : String(e)}\n`);
      return out;
    }
    // The fleet view pages its heatmap: the page holds one page of rows, not the whole fleet.
    await openView(page, server.url, '#/');
    const shown = (await page.evaluate(`document.querySelectorAll('#heatmap tbody tr[data-id]').length`)) as number;
    const status = (await page.evaluate(`document.getElementById('page-status').textContent`)) as string;
    if (shown > 50 || !status.includes(`of ${CLUSTERS.toLocaleString('en-US')}`))
      throw new Error(`dashboard bench: the fleet view shows ${shown} rows ("${status}"), not one page of ${CLUSTERS}`);
    const note = Object.entries(per)
      .map(([k, t]) => `${k} ${round(t.renderMs)} ms render / ${round(t.fetchMs)} ms fetch (${t.requests} requests)`)
      .join('; ');
    const worst = Object.entries(per).sort(([, a], [, b]) => b.renderMs / b.fetchMs - a.renderMs / a.fetchMs)[0] as [string, Timing];
    out['dashboard.render_ms_2000'] = ratioFigure(
      worst[1].renderMs,
      worst[1].fetchMs,
      'ms',
      1,
      `worst view: ${worst[0]}; ${note} (${CLUSTERS} clusters, median of ${ROUNDS} loads)`,
    );
    for (const [k, t] of Object.entries(per)) out[`dashboard.render_ms_2000.${k}`] = ratioFigure(t.renderMs, t.fetchMs, 'ms', 1);
    const fleet = per['fleet'] as Timing;
    out['dashboard.fleet_requests_2000'] = {
      value: fleet.requests,
      unit: 'HTTP requests',
      baseline: null,
      ratio: null,
      goal: '<= 3',
      met: fleet.requests <= 3,
      note: `data requests of one load of the fleet view over ${CLUSTERS} clusters (the page itself not counted); the heatmap shows ${shown} rows: "${status}"`,
    };
  } finally {
    await browser.close();
    await server.close();
    await azurite.stop();
  }
  return out;
}
