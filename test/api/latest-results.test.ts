/**
 * The latest results of a cluster whose later attempts did not scan: the cluster detail still shows
 * them, and staleness counts from them (not from the attempts). Own fleets over Azurite, built
 * around NOW and the one-day schedule of fleet.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterRef, ClusterScan } from '../../src/model/cluster.js';
import type { FleetSummary } from '../../src/report/summary.js';
import { useAzurite } from '../support/azurite.js';
import { aksNode, call, classify, depsFor, NOW, PERIOD_MS, ref, SUB_A } from './fleet.js';

const az = useAzurite();

const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const path = (r: ClusterRef): string => `/clusters/${r.subscriptionId}/${r.resourceGroup}/${r.name}`;

function scanned(r: ClusterRef, startedAt: string): ClusterScan {
  return {
    cluster: r,
    benchmark: 'aks-1.8',
    outcome: { kind: 'scanned', nodes: [aksNode(`${r.name}-0`, 'np', ['3.2.4'])], nodeFailures: [] },
    startedAt,
    finishedAt: startedAt,
  };
}

function failed(r: ClusterRef, startedAt: string): ClusterScan {
  // A poisoned or failed attempt chose no benchmark.
  return {
    cluster: r,
    benchmark: null,
    outcome: { kind: 'failed', reason: 'timeout', detail: 'run-command did not finish in 900 s' },
    startedAt,
    finishedAt: startedAt,
  };
}

interface Detail {
  scan: { scanId: string; outcome: { kind: string } };
  results: { scanId: string; pools: { checks: { id: string; status: string }[] }[] } | null;
}

describe('cluster detail after many attempts that did not scan', () => {
  it('shows the results named by the fleet entity, however many attempts failed since (here 60)', async () => {
    const store = await az.store();
    const c = ref(SUB_A, 'rg-stuck', 'aks-stuck');
    await store.saveClusterScan(scanned(c, ago(61 * PERIOD_MS)), { runId: 'r-0', scanId: 'scan-000' }, classify);
    for (let i = 1; i <= 60; i++)
      await store.saveClusterScan(failed(c, ago((61 - i) * PERIOD_MS)), { runId: `r-${i}`, scanId: `scan-${String(i).padStart(3, '0')}` }, classify);

    const d = (await call(depsFor(store), path(c))).json as Detail;
    expect(d.scan).toMatchObject({ scanId: 'scan-060', outcome: { kind: 'failed' } });
    expect(d.results?.scanId).toBe('scan-000');
    expect(d.results?.pools[0]?.checks.filter((k) => k.status === 'FAIL').map((k) => k.id)).toEqual(['3.2.4']);
    const node = await call(depsFor(store), `${path(c)}/nodes/aks-stuck-0`);
    expect((node.json as { scanId: string }).scanId).toBe('scan-000');
  });
});

describe('staleness: not scanned for over two schedule periods', () => {
  it('a cluster failing every day is stale once its results age; a never-scanned one from its first attempt', async () => {
    const store = await az.store();
    const failsDaily = ref(SUB_A, 'rg-s', 'aks-fails-daily');
    const fresh = ref(SUB_A, 'rg-s', 'aks-fresh');
    const neverOld = ref(SUB_A, 'rg-s', 'aks-never-old');
    const neverNew = ref(SUB_A, 'rg-s', 'aks-never-new');
    await store.saveClusterScan(scanned(failsDaily, ago(30 * PERIOD_MS)), { runId: 'r', scanId: 'fd-0' }, classify);
    for (let d = 29; d >= 0; d--)
      await store.saveClusterScan(failed(failsDaily, ago(d * PERIOD_MS + 60_000)), { runId: `r${d}`, scanId: `fd-${30 - d}` }, classify);
    await store.saveClusterScan(scanned(fresh, ago(PERIOD_MS)), { runId: 'r', scanId: 'fr-0' }, classify);
    await store.saveClusterScan(failed(fresh, ago(60_000)), { runId: 'r', scanId: 'fr-1' }, classify);
    for (let d = 3; d >= 0; d--) await store.saveClusterScan(failed(neverOld, ago(d * PERIOD_MS + 60_000)), { runId: `r${d}`, scanId: `no-${d}` }, classify);
    await store.saveClusterScan(failed(neverNew, ago(PERIOD_MS)), { runId: 'r', scanId: 'nn-0' }, classify);
    await store.saveClusterScan(failed(neverNew, ago(60_000)), { runId: 'r', scanId: 'nn-1' }, classify);
    const deps = depsFor(store);

    const list = (await call(deps, '/clusters')).json as { items: { name: string; stale: boolean; firstAttemptAt: string }[] };
    expect(Object.fromEntries(list.items.map((i) => [i.name, i.stale]))).toEqual({
      'aks-fails-daily': true,
      'aks-fresh': false,
      'aks-never-old': true,
      'aks-never-new': false,
    });
    expect(list.items.find((i) => i.name === 'aks-never-old')?.firstAttemptAt).toBe(ago(3 * PERIOD_MS + 60_000));

    const s = (await call(deps, '/summary')).json as FleetSummary;
    expect(s.clusters.stale).toBe(2);
    expect(s.staleClusters).toEqual([
      {
        clusterId: failsDaily.id,
        subscriptionId: SUB_A,
        resourceGroup: 'rg-s',
        name: 'aks-fails-daily',
        outcome: 'failed',
        reason: 'timeout',
        lastAttempt: ago(60_000),
        lastResults: ago(30 * PERIOD_MS),
        firstAttempt: ago(30 * PERIOD_MS),
      },
      {
        clusterId: neverOld.id,
        subscriptionId: SUB_A,
        resourceGroup: 'rg-s',
        name: 'aks-never-old',
        outcome: 'failed',
        reason: 'timeout',
        lastAttempt: ago(60_000),
        lastResults: null,
        firstAttempt: ago(3 * PERIOD_MS + 60_000),
      },
    ]);
    const csv = await call(deps, '/clusters?format=csv');
    const [header, ...rows] = csv.text.trimEnd().split('\r\n');
    const cols = (header ?? '').split(',');
    const daily = rows.map((l) => l.split(',')).find((r) => r[cols.indexOf('name')] === 'aks-fails-daily');
    expect([daily?.[cols.indexOf('stale')], daily?.[cols.indexOf('resultsFinishedAt')]]).toEqual(['true', ago(30 * PERIOD_MS)]);
  });
});
