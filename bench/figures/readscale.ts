/**
 * Reads of a 10,000-cluster fleet, counted in real Azurite requests (the store's request counter):
 * - api.storage_requests_summary_10k: GET /api/summary (goal 1: the fleet digest);
 * - api.storage_requests_clusters_page_10k: GET /api/clusters?top=50 and the page after it (goal 2: the digest and one key range);
 * - api.storage_requests_check_topic_10k: GET /api/checks/{topic}?top=50 for the topic most clusters fail (goal 1 + 50).
 * Each is checked against the answer the fleet partition gives before it is counted.
 * The fleet is seeded with the entities saveClusterScan leaves in the Clusters table (summaryEntities),
 * written in planBatches transactions: 10,000 full saves would take minutes and measure nothing here.
 */
import { performance } from 'node:perf_hooks';
import { handleApiRequest } from '../../src/api/index.js';
import { compareClusters } from '../../src/report/fleet-filter.js';
import { summariseFleet } from '../../src/report/summary.js';
import { startAzurite } from '../../src/local/azurite.js';
import { createStore } from '../../src/store/index.js';
import type { Figure } from '../measure.js';
import { round } from '../measure.js';
import { seedFleet } from './store.js';

/** BENCH_READ_CLUSTERS overrides the fleet size for a quick look; the figures' names assume the default. */
const N = Number(process.env['BENCH_READ_CLUSTERS'] ?? 10_000);
const SUBSCRIPTIONS = 100;
const PAGE = 50;
/** Table Storage returns at most 1,000 entities per query response; the fleet partition of N entities takes this many. */
const PARTITION_PAGES = Math.ceil(N / 1000);

/** A count against a fixed bound: no baseline, the bound is the goal. */
function countFigure(value: number, max: number, note: string): Figure {
  return { value, unit: 'storage requests', baseline: null, ratio: null, goal: `<= ${max}`, met: value <= max, note };
}

export async function readScaleFigures(): Promise<Record<string, Figure>> {
  const az = await startAzurite();
  try {
    const target = { kind: 'connection-string' as const, value: az.connectionString };
    const store = createStore(target, { tablePrefix: 'benchread' });
    await store.ensureTables();
    const t0 = performance.now();
    // No topic aggregate rows: the topic read's key ranges come from the digest's keys, so it makes the same requests
    // without them, and at 10,000 clusters they are 50,000 more entities, which Azurite inserts ever more slowly.
    const seeded = await seedFleet(store, target, N, { subscriptions: SUBSCRIPTIONS, topicRows: false });
    const seedS = (performance.now() - t0) / 1000;
    process.stderr.write(`readscale: seeded ${N} clusters (${seeded.entities} entities) in ${round(seedS, 1)} s\n`);

    const deps = {
      store,
      now: () => new Date('2026-11-26T12:00:00Z'),
      schedulePeriodMs: 86_400_000,
      requestScan: async () => ({ runId: '-', queued: 0, missing: [] }),
    };
    const get = async (path: string, query = ''): Promise<{ requests: number; body: Record<string, unknown> }> => {
      store.requests.reset();
      const res = await handleApiRequest({ method: 'GET', path, query: new URLSearchParams(query), headers: {} }, deps);
      if (res.status !== 200) throw new Error(`GET ${path}?${query} answered ${res.status}: ${res.body}`);
      return { requests: store.requests.total, body: JSON.parse(res.body) as Record<string, unknown> };
    };

    const summary = await get('/summary');
    const total = (summary.body['clusters'] as { total: number }).total;
    if (total !== N) throw new Error(`the summary counts ${total} clusters, not the ${N} seeded`);
    const first = await get('/clusters', `top=${PAGE}`);
    const second = await get('/clusters', `top=${PAGE}&page=${String(first.body['nextPage'])}`);
    const pageRequests = Math.max(first.requests, second.requests);
    const top = (summary.body['topFailing'] as { topic: string; clusters: number }[])[0];
    if (!top) throw new Error('no topic fails in the seeded fleet');
    const check = await get(`/checks/${top.topic}`, `top=${PAGE}`);
    const failing = check.body['total'] as number;
    if (failing !== top.clusters) throw new Error(`/checks/${top.topic} lists ${failing} clusters, the summary ${top.clusters}`);
    // The same answers as from the fleet partition (the previous read path), or the counts mean nothing.
    const whole = await store.listClusterSummaries();
    const expected = summariseFleet(whole, { now: deps.now(), schedulePeriodMs: deps.schedulePeriodMs, top: 10 });
    if (JSON.stringify(expected) !== JSON.stringify(summary.body))
      throw new Error('GET /api/summary from the digest differs from the summary of the fleet partition');
    const names = (b: Record<string, unknown>): string[] => (b['items'] as { id: string }[]).map((i) => i.id);
    const sorted = whole.sort(compareClusters).map((c) => c.clusterId);
    if (JSON.stringify([...names(first.body), ...names(second.body)]) !== JSON.stringify(sorted.slice(0, 2 * PAGE)))
      throw new Error('GET /api/clusters pages differ from the sorted fleet partition');

    const fleet = `${N} clusters in ${SUBSCRIPTIONS} subscriptions, 3 pools each, seeded as ${seeded.entities} entities (fleet entities and the digest; no topic rows: 50,000 of them slow Azurite's seeding, and the topic read's ranges do not depend on them) in ${seeded.transactions} transactions (${round(seedS, 1)} s)`;
    const before = `the fleet partition read by the previous design: ceil(${N} / 1,000) = ${PARTITION_PAGES}`;
    return {
      'api.storage_requests_summary_10k': countFigure(
        summary.requests,
        1,
        `GET /api/summary reads the fleet digest: its 64 shards are one partition, one query whatever the fleet's size (${before}); the answer equals the summary of the fleet partition; ${fleet}`,
      ),
      'api.storage_requests_clusters_page_10k': countFigure(
        pageRequests,
        2,
        `GET /api/clusters?top=${PAGE}, first and next page (${first.requests} and ${second.requests}): the digest (total, sort, filters), then the page's entities by one key range (${before}); pages equal the sorted fleet partition`,
      ),
      'api.storage_requests_check_topic_10k': countFigure(
        check.requests,
        1 + 2 * PAGE,
        `GET /api/checks/${top.topic}?top=${PAGE} (${failing} failing clusters): the digest, then the page's clusters and their rows of the topic's aggregate (the failing pools) by key ranges, one per run of neighbours in key order (at most ${PAGE} each; the ranges come from the digest's keys, so the count is the same with the topic rows left out of the seeding); the previous design read the topic's partition, ceil(${failing} / 1,000) pages, then ${PAGE} point reads`,
      ),
    };
  } finally {
    await az.stop();
  }
}
