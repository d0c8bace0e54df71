import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/index.js';
import type { ClusterScan } from '../../src/model/cluster.js';
import { normaliseKubeBench } from '../../src/parse/index.js';
import { classifyUnversioned } from '../../src/pipeline/classify.js';
import { generateKubeBenchReport, profileFailing } from '../../src/simulator/index.js';
import type { Store } from '../../src/store/store.js';
import { cluster } from '../fixtures/clusters.js';
import { useAzurite } from '../support/azurite.js';
import { call, depsFor } from './fleet.js';

const az = useAzurite();
/** More failing clusters than the largest page (100), so a whole export needs several reads. */
const N = 130;
const SUB = '00000000-0000-4000-8000-000000000001';
const report = normaliseKubeBench(generateKubeBenchReport('aks-1.7', profileFailing('aks-default', 'aks-1.7')), 'test');
const passing = normaliseKubeBench(generateKubeBenchReport('aks-1.7', new Set()), 'test');

function scanOf(i: number): ClusterScan {
  const name = `aks-${String(i).padStart(3, '0')}`;
  const at = new Date(Date.UTC(2026, 10, 26, 2, 0, 0)).toISOString();
  return {
    cluster: cluster({
      id: `/subscriptions/${SUB}/resourceGroups/rg-export/providers/Microsoft.ContainerService/managedClusters/${name}`,
      subscriptionId: SUB,
      resourceGroup: 'rg-export',
      name,
    }),
    benchmark: 'aks-1.7',
    outcome: {
      kind: 'scanned',
      nodes: [
        { name: `aks-system-${String(i)}-vmss000000`, pool: 'system', benchmark: 'aks-1.7', totals: report.totals, checks: report.checks, warnings: [] },
        // Every third cluster has a second pool where the same checks pass: it must not be named as failing.
        ...(i % 3 === 0
          ? [{ name: `aks-apps-${String(i)}-vmss000000`, pool: 'apps', benchmark: 'aks-1.7', totals: passing.totals, checks: passing.checks, warnings: [] }]
          : []),
      ],
      nodeFailures: [],
    },
    startedAt: at,
    finishedAt: at,
  };
}

let store: Store;
let deps: ApiDeps;
let topic: string;

beforeAll(async () => {
  store = await az.store();
  for (let i = 0; i < N; i += 10)
    await Promise.all(
      Array.from({ length: Math.min(10, N - i) }, (_, k) => store.saveClusterScan(scanOf(i + k), { runId: 'r1', scanId: `s-${i + k}` }, classifyUnversioned)),
    );
  deps = depsFor(store, []);
  const summary = (await call(deps, '/summary')).json as { topFailing: { topic: string; clusters: number }[] };
  const top = summary.topFailing[0];
  if (!top || top.clusters !== N) throw new Error(`expected a topic failed by all ${N} clusters, got ${JSON.stringify(top)}`);
  topic = top.topic;
}, 120_000);

describe('GET /checks/{topic} as CSV', () => {
  it('exports every failing cluster when no page is asked for, past the largest page', async () => {
    const r = await call(deps, `/checks/${topic}?format=csv`);
    expect(r.status).toBe(200);
    const [header, ...rows] = r.text.trimEnd().split('\r\n');
    const name = (header ?? '').split(',').indexOf('name');
    const names = rows.map((l) => l.split(',')[name]);
    expect(new Set(names).size).toBe(N);
    expect(names).toContain('aks-129');
    const pools = (header ?? '').split(',').indexOf('failingPools');
    expect(pools).toBeGreaterThan(0);
    for (const l of rows) expect(l.split(',')[pools]).toBe('system');
  });

  it('names the pools failing the topic, not every pool of the cluster', async () => {
    const page = (await call(deps, `/checks/${topic}?top=100`)).json as {
      clusters: { id: string; name: string; results: { pools: string[] } }[];
      failingPools: Record<string, string[]>;
    };
    const two = page.clusters.filter((c) => c.results.pools.length === 2);
    expect(two.length).toBeGreaterThan(10);
    for (const c of page.clusters) expect(page.failingPools[c.id], c.name).toEqual(['system']);
    const failingId = report.checks.find((c) => c.status === 'FAIL')?.id;
    const byId = (await call(deps, `/checks/${failingId ?? '-'}?benchmark=aks-1.7`)).json as { failingPools: unknown; total: number };
    expect(byId.total).toBe(N);
    expect(byId.failingPools).toBeNull();
  });

  it('keeps the page when one is asked for, and JSON keeps its default page', async () => {
    const paged = await call(deps, `/checks/${topic}?format=csv&top=20`);
    expect(paged.text.trimEnd().split('\r\n')).toHaveLength(21);
    const json = (await call(deps, `/checks/${topic}`)).json as { clusters: unknown[]; total: number; nextPage: string | null };
    expect(json.total).toBe(N);
    expect(json.clusters).toHaveLength(50);
    expect(json.nextPage).not.toBeNull();
  });
});
