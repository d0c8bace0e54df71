/**
 * Storage and API figures over an in-process Azurite with the real @azure/data-tables clients.
 * - store.table_requests_per_cluster: requests to record one scanned cluster with three node pools.
 *   One real saveClusterScan path, a new cluster and then the same cluster again, counted request by request.
 * - api.summary_vs_naive: GET /api/summary over 2,000 stored clusters against aggregating the same
 *   numbers from per-check rows of the same fleet. The fleet's Clusters-table entities are seeded in
 *   transactions (seedFleet): 2,000 full saves took minutes and are not what this figure measures.
 */
import { performance } from 'node:perf_hooks';
import { handleApiRequest } from '../../src/api/index.js';
import { startAzurite } from '../../src/local/azurite.js';
import type { ClusterScan, ScannedNode } from '../../src/model/cluster.js';
import { normaliseKubeBench } from '../../src/parse/index.js';
import { classifyCheck, classifyUnversioned } from '../../src/pipeline/classify.js';
import { generateKubeBenchReport, profileFailing } from '../../src/simulator/index.js';
import type { Classifier, StorageTarget, Store } from '../../src/store/index.js';
import { clusterKey, createStore, createTableClient, digestSeedEntities, entityWireSize, planBatches, summaryEntities } from '../../src/store/index.js';
import { cluster } from '../../test/fixtures/clusters.js';
import type { Figure } from '../measure.js';
import { round } from '../measure.js';

const PROFILES = ['aks-default', 'hardened', 'drifted'] as const;
/** BENCH_STORE_CLUSTERS overrides the fleet size of api.summary_vs_naive for a quick look. */
const N = Number(process.env['BENCH_STORE_CLUSTERS'] ?? 2000);

/** Progress on stderr, so that --json output stays clean and a slow phase shows where it is. */
function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
const BENCHMARKS = ['aks-1.7', 'aks-1.8'] as const;

/** Six distinct reports per pool (benchmark x profile), generated and parsed once each. */
const reports = new Map<string, ReturnType<typeof normaliseKubeBench>>();
function nodeFor(i: number, pool: string): ScannedNode {
  const benchmark = BENCHMARKS[i % 2] as string;
  const profile = PROFILES[(i + pool.length) % 3]!;
  const key = `${benchmark}/${profile}`;
  let r = reports.get(key);
  if (!r) reports.set(key, (r = normaliseKubeBench(generateKubeBenchReport(benchmark, profileFailing(profile, benchmark)), 'bench')));
  return { name: `aks-${pool}-${String(10_000_000 + i)}-vmss000000`, pool, benchmark, totals: r.totals, checks: r.checks, warnings: [] };
}

/** Cluster i of a synthetic fleet: three pools of one node, spread over `subscriptions` subscriptions. */
export function clusterScan(i: number, subscriptions = 20): ClusterScan {
  const sub = `00000000-0000-4000-8000-${String((i % subscriptions) + 1).padStart(12, '0')}`;
  const pools = ['system', 'apps', 'batch'];
  const at = new Date(Date.UTC(2026, 10, 26, 2, 0, i % 60)).toISOString();
  return {
    cluster: cluster({
      id: `/subscriptions/${sub}/resourceGroups/rg-${i % 40}/providers/Microsoft.ContainerService/managedClusters/aks-${i}`,
      subscriptionId: sub,
      resourceGroup: `rg-${i % 40}`,
      name: `aks-${i}`,
      pools: pools.map((name) => ({ name, osType: 'Linux' as const, mode: 'User' as const, count: 3, nodeImageVersion: null, orchestratorVersion: '1.33.2' })),
      tags: { env: i % 2 ? 'prod' : 'dev' },
    }),
    benchmark: BENCHMARKS[i % 2] as string,
    outcome: { kind: 'scanned', nodes: pools.map((p) => nodeFor(i, p)), nodeFailures: [] },
    startedAt: at,
    finishedAt: at,
  };
}

/** Seeds the first `n` clusters through saveClusterScan, 16 at a time: the real write path, ten requests and a scan's node rows each. */
export async function seed(store: Store, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        await store.saveClusterScan(clusterScan(i), { runId: 'bench-run', scanId: `bench-scan-${i}` }, classifyUnversioned);
      }
    }),
  );
}

/** Classifies each distinct check once: the synthetic fleet repeats six node reports. */
export function cachedClassifier(): Classifier {
  const verdicts = new Map<string, ReturnType<Classifier>>();
  return (c, pool) => {
    const k = `${pool ?? ''}\u0000${c.benchmark ?? ''}\u0000${c.id}\u0000${c.title}`;
    if (!verdicts.has(k)) verdicts.set(k, classifyUnversioned(c, pool));
    return verdicts.get(k) ?? null;
  };
}

/**
 * Seeds the first `n` clusters of the synthetic fleet with the entities saveClusterScan leaves in the
 * Clusters table (summaryEntities, and the fleet digest's shards), in planBatches transactions, 8 in flight: what the fleet reads
 * see is the same, at a fraction of the requests (one save is ten requests and a scan's node rows).
 * `topicRows: false` leaves out the topic aggregate's rows, for a set whose reads never touch them.
 */
export async function seedFleet(
  store: Store,
  target: StorageTarget,
  n: number,
  opts: { subscriptions?: number; topicRows?: boolean } = {},
): Promise<{ entities: number; transactions: number }> {
  const subscriptions = opts.subscriptions ?? 20;
  const writer = createTableClient(target, store.tables.clusters);
  const classify = cachedClassifier();
  const perCluster = Array.from({ length: n }, (_, i) =>
    summaryEntities(clusterScan(i, subscriptions), { runId: 'bench-run', scanId: `bench-scan-${i}` }, classify),
  );
  const fleet = perCluster.map((e) => e[0]).filter((e) => e !== undefined);
  const entities = [...(opts.topicRows === false ? fleet : perCluster.flat()), ...digestSeedEntities(fleet)];
  const batches = planBatches(entities, entityWireSize);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = next++; b < batches.length; b = next++) await writer.submitTransaction(batches[b]!.map((e) => ['upsert', e, 'Replace']));
    }),
  );
  return { entities: entities.length, transactions: batches.length };
}

/**
 * The naive layout the summary is measured against: one table row per check per node, as a
 * straightforward design (or kube-bench's own PostgreSQL row per section) would store results.
 */
async function seedCheckRows(connection: string, table: string, n: number): Promise<void> {
  const client = createTableClient({ kind: 'connection-string', value: connection }, table);
  await client.createTable();
  // Classified once per distinct check: seeding cost, not part of what the baseline reads.
  const verdicts = new Map<string, ReturnType<typeof classifyCheck>>();
  const classifyRow = (c: Parameters<typeof classifyCheck>[0]): ReturnType<typeof classifyCheck> => {
    const k = `${c.benchmark ?? ''}\u0000${c.id}\u0000${c.title}`;
    if (!verdicts.has(k)) verdicts.set(k, classifyCheck(c));
    return verdicts.get(k) ?? null;
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        const scan = clusterScan(i);
        if (scan.outcome.kind !== 'scanned') continue;
        const pk = clusterKey(scan.cluster.id);
        const rows = scan.outcome.nodes.flatMap((node) =>
          node.checks.map((c) => {
            const k = classifyRow(c);
            return {
              partitionKey: pk,
              rowKey: `${node.name}!${c.id}`,
              clusterId: scan.cluster.id,
              subscriptionId: scan.cluster.subscriptionId,
              pool: node.pool ?? '',
              checkId: c.id,
              benchmark: c.benchmark ?? '',
              status: c.status,
              topic: k?.topic ?? '',
              disposition: k?.disposition ?? 'unknown',
            };
          }),
        );
        for (let b = 0; b < rows.length; b += 100) await client.submitTransaction(rows.slice(b, b + 100).map((r) => ['upsert', r] as ['upsert', typeof r]));
      }
    }),
  );
}

/** The same totals as the summary, aggregated from every check row of the fleet. */
async function naiveSummary(
  connection: string,
  table: string,
): Promise<{ clusters: number; fail: number; pass: number; rows: number; topics: Map<string, Set<string>> }> {
  const client = createTableClient({ kind: 'connection-string', value: connection }, table);
  let rows = 0;
  let fail = 0;
  let pass = 0;
  const clusters = new Set<string>();
  const topics = new Map<string, Set<string>>();
  for await (const e of client.listEntities<{ clusterId: string; status: string; topic: string }>()) {
    rows++;
    clusters.add(e.clusterId);
    if (e.status === 'FAIL') {
      fail++;
      if (e.topic) topics.set(e.topic, (topics.get(e.topic) ?? new Set()).add(e.clusterId));
    } else if (e.status === 'PASS') pass++;
  }
  return { clusters: clusters.size, fail, pass, rows, topics };
}

export async function storeFigures(): Promise<Record<string, Figure>> {
  const az = await startAzurite();
  try {
    const target = { kind: 'connection-string' as const, value: az.connectionString };

    const one = createStore(target, { tablePrefix: 'benchone' });
    await one.ensureTables();
    await one.startRun({ runId: 'r1', trigger: 'cli', startedAt: new Date().toISOString(), queued: 1 });
    one.requests.reset();
    const scan = clusterScan(1);
    await one.saveClusterScan(scan, { runId: 'r1', scanId: 's1' }, classifyUnversioned);
    await one.recordClusterDone('r1', scan.cluster.id, 'scanned');
    const newCluster = { total: one.requests.total, byKind: { ...one.requests.byKind } };
    const newTopics = (await one.listClusterSummaries())[0]?.results?.failingTopics.length ?? 0;
    // The common case: the next run scans the same cluster and finds the same failures.
    await one.startRun({ runId: 'r2', trigger: 'cli', startedAt: new Date().toISOString(), queued: 1 });
    one.requests.reset();
    const again = { ...scan, startedAt: '2026-11-27T02:00:00.000Z', finishedAt: '2026-11-27T02:01:00.000Z' };
    await one.saveClusterScan(again, { runId: 'r2', scanId: 's2' }, classifyUnversioned);
    await one.recordClusterDone('r2', scan.cluster.id, 'scanned');
    const perCluster = one.requests.total;

    const store = createStore(target, { tablePrefix: 'benchfleet' });
    await store.ensureTables();
    const t0 = performance.now();
    const seeded = await seedFleet(store, target, N);
    const seedMs = performance.now() - t0;
    const tr = performance.now();
    await seedCheckRows(az.connectionString, 'benchcheckrows', N);
    progress(
      `store: seeded ${N} clusters (${seeded.entities} entities) in ${round(seedMs / 1000, 1)} s, their check rows in ${round((performance.now() - tr) / 1000, 1)} s`,
    );
    const deps = {
      store,
      now: () => new Date('2026-11-26T12:00:00Z'),
      schedulePeriodMs: 86_400_000,
      requestScan: async () => ({ runId: '-', queued: 0, missing: [] }),
    };
    const summaryOnce = async () => {
      const res = await handleApiRequest({ method: 'GET', path: '/summary', query: new URLSearchParams(), headers: {} }, deps);
      if (res.status !== 200) throw new Error(`GET /summary answered ${res.status}: ${res.body}`);
      return JSON.parse(res.body) as { clusters: { total: number }; checks: { fail: number; pass: number } };
    };
    await summaryOnce();
    const rounds = 5;
    let summary = await summaryOnce();
    const ts = performance.now();
    for (let i = 0; i < rounds; i++) summary = await summaryOnce();
    const summaryMs = (performance.now() - ts) / rounds;
    const tn = performance.now();
    const naive = await naiveSummary(az.connectionString, 'benchcheckrows');
    const naiveMs = performance.now() - tn;
    // Both must give the same answer, or the comparison means nothing.
    if (naive.clusters !== summary.clusters.total || naive.fail !== summary.checks.fail || naive.pass !== summary.checks.pass) {
      throw new Error(
        `naive and summary disagree: naive ${naive.clusters} clusters ${naive.fail} FAIL ${naive.pass} PASS, summary ${summary.clusters.total} clusters ${summary.checks.fail} FAIL ${summary.checks.pass} PASS`,
      );
    }
    const ratio = summaryMs / naiveMs;
    progress(`store: summary ${round(summaryMs)} ms, naive ${round(naiveMs)} ms over ${naive.rows} check rows`);
    return {
      'store.table_requests_per_cluster': {
        value: perCluster,
        unit: 'storage requests',
        baseline: null,
        ratio: null,
        goal: '<= 8',
        met: perCluster <= 8,
        note: `a known cluster with three node pools (one node each) scanned again with the same failures: node results, header, pointer read and write, the fleet digest's shard read and write, run progress: ${JSON.stringify(one.requests.byKind)}`,
      },
      'store.table_requests_new_cluster': {
        value: newCluster.total,
        unit: 'storage requests',
        baseline: null,
        ratio: null,
        goal: `<= 8 + failing topics (${newTopics}) = ${8 + newTopics}`,
        met: newCluster.total <= 8 + newTopics,
        note: `the same cluster's first scan: the fleet digest's shard read and written, each failing topic's row in the topic aggregate, then one MERGE clears aggDirty: ${JSON.stringify(newCluster.byKind)}`,
      },
      'api.summary_vs_naive': {
        value: round(summaryMs),
        unit: 'ms per GET /api/summary',
        baseline: round(naiveMs),
        ratio: round(ratio, 4),
        goal: '<= 0.05',
        met: ratio <= 0.05,
        note: `${N} clusters x 3 nodes in Azurite (the Clusters table's entities seeded in ${seeded.transactions} transactions, ${round(seedMs / 1000, 1)} s); baseline: the same totals aggregated from per-check rows (one row per check per node, ${naive.rows} rows)`,
      },
    };
  } finally {
    await az.stop();
  }
}
