/** The dashboard's data routes and the kubernetesVersion filter, against the real store in Azurite. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/index.js';
import type { ClusterList } from '../../src/api/schemas.js';
import type { Matrix, Trend } from '../../src/dashboard/schemas.js';
import type { FleetSummary } from '../../src/report/summary.js';
import type { Store } from '../../src/store/store.js';
import { useAzurite } from '../support/azurite.js';
import { hostileRef, HOSTILE_NAME, seedBrowserFleet } from '../browser/fleet.js';
import { call, depsFor } from './fleet.js';
import { createWaiverTable } from '../../src/store/waivers.js';
import { WaiverService } from '../../src/waivers/service.js';

const az = useAzurite();

describe('dashboard data routes', () => {
  let store: Store;
  let deps: ApiDeps;
  beforeAll(async () => {
    store = await az.store();
    await seedBrowserFleet(store);
    deps = depsFor(store);
  });

  it('kubernetesVersion: a minor keeps its patches, a full version only itself, on /summary and /clusters alike', async () => {
    const minor = (await call(deps, '/summary?kubernetesVersion=1.30')).json as FleetSummary;
    const exact = (await call(deps, '/clusters?kubernetesVersion=1.30.5')).json as ClusterList;
    const other = (await call(deps, '/clusters?kubernetesVersion=1.30.4')).json as ClusterList;
    const all = (await call(deps, '/clusters')).json as ClusterList;
    expect(minor.clusters.total).toBe(1);
    expect(exact.items.map((c) => c.name)).toEqual([HOSTILE_NAME]);
    expect(other.total).toBe(0);
    expect(all.total).toBe(all.items.filter((c) => c.kubernetesVersion.startsWith('1.')).length);
    expect(((await call(deps, '/clusters?kubernetesVersion=1.33')).json as ClusterList).total).toBe(all.total - 1);
    const bad = await call(deps, '/summary?kubernetesVersion=latest');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('kubernetesVersion');
  });

  it('/fleet/matrix: one row per filtered cluster, cells from its failing topics, waived where a default waiver covers the topic', async () => {
    const m = (await call(deps, '/fleet/matrix?topics=5')).json as Matrix;
    const s = (await call(deps, '/summary?top=5')).json as FleetSummary;
    expect(m.topics.map((t) => t.topic)).toEqual(s.topFailing.map((t) => t.topic));
    expect(m.total).toBe(s.clusters.total);
    const row = (name: string) => m.rows.find((r) => r.name === name);
    // Never scanned: no results in any column.
    expect(row('aks-b-1')?.cells.every((c) => c === 'none')).toBe(true);
    // kubelet.read-only-port is a check quirk on aks-1.8, and its default waiver covers it on every cluster.
    const ro = m.topics.findIndex((t) => t.topic === 'kubelet.read-only-port');
    expect(ro).toBeGreaterThanOrEqual(0);
    expect(row('aks-prod-1')?.cells[ro]).toBe('waived');
    // Without waivers the same cell shows the disposition.
    const table = createWaiverTable(az.target(), { tablePrefix: store.tables.clusters.replace(/Clusters$/, '') });
    await table.ensureTable();
    const none = new WaiverService({ table, file: null, defaults: false, maxDays: 365, now: () => new Date() });
    const bare = (await call({ ...deps, waivers: none }, '/fleet/matrix?topics=5')).json as Matrix;
    expect(bare.rows.find((r) => r.name === 'aks-prod-1')?.cells[ro]).toBe('check-quirk');
    const filtered = (await call(deps, `/fleet/matrix?kubernetesVersion=1.30`)).json as Matrix;
    expect(filtered.rows.map((r) => r.id)).toEqual([hostileRef().id]);
  });

  it("/fleet/matrix: a pool-scoped waiver marks that pool's cells waived, not the cluster's, until every failing pool is waived", async () => {
    const table = createWaiverTable(az.target(), { tablePrefix: `${store.tables.clusters.replace(/Clusters$/, '')}pw` });
    await table.ensureTable();
    const waivers = new WaiverService({ table, file: null, defaults: false, maxDays: 365, now: () => new Date() });
    const pooled = { ...deps, waivers };
    const prod1 = '/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-1';
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const waive = (pool: string) =>
      waivers.put(
        `ro-${pool}`,
        { topic: 'kubelet.read-only-port', scope: { cluster: prod1, pool }, reason: 'port closed (SEC-9)', owner: 'p@example.com', expires },
        'test',
        {},
      );
    const prodRow = async () => {
      const m = (await call(pooled, '/fleet/matrix?topics=5')).json as Matrix;
      return { m, row: m.rows.find((r) => r.name === 'aks-prod-1'), ro: m.topics.findIndex((t) => t.topic === 'kubelet.read-only-port') };
    };
    // aks-prod-1 fails kubelet.read-only-port (3.2.4) in both its pools, system and user.
    await waive('system');
    const one = await prodRow();
    expect(one.ro).toBeGreaterThanOrEqual(0);
    expect(one.row?.cells[one.ro]).toBe('check-quirk');
    expect(one.row?.pools.map((p) => [p.pool, p.cells[one.ro]])).toEqual([['system', 'waived']]);
    // Other clusters are not touched by a waiver of aks-prod-1's pool.
    expect(one.m.rows.filter((r) => r.name !== 'aks-prod-1').every((r) => r.pools.length === 0)).toBe(true);
    await waive('user');
    const both = await prodRow();
    expect(both.row?.pools.map((p) => [p.pool, p.cells[both.ro]])).toEqual([
      ['system', 'waived'],
      ['user', 'waived'],
    ]);
    expect(both.row?.cells[both.ro]).toBe('waived');
  });

  it('/fleet/trend: FAIL and yours-to-fix per run from the stored scans, and the clusters that moved, in a bounded number of requests', async () => {
    store.requests.reset();
    const t = (await call(deps, '/fleet/trend')).json as Trend;
    const requests = store.requests.total;
    expect(t.points.map((p) => p.runId)).toEqual(['run-1', 'run-2', 'run-3']);
    const history = async (name: string, rg: string, sub: string) =>
      ((await call(deps, `/clusters/${sub}/${rg}/${name}/history`)).json as { items: { runId: string; totals: { fail: number }; outcome: { kind: string } }[] })
        .items;
    const prod = await history('aks-prod-1', 'rg-prod', 'aaaaaaaa-0000-4000-8000-000000000001');
    const run3 = t.points.find((p) => p.runId === 'run-3');
    expect(run3?.scanned).toBe(2);
    expect(run3?.fail).toBeGreaterThanOrEqual(prod.find((h) => h.runId === 'run-3')?.totals.fail ?? 0);
    expect(t.changes.better.map((c) => [c.name, c.failBefore > c.failAfter])).toEqual([['aks-prod-1', true]]);
    expect(t.changes.worse).toEqual([]);
    // The first answer builds each run's rollup once (one query of its scans; the latest run from the fleet partition) and stores it.
    expect(requests).toBeLessThanOrEqual(1 + (1 + 3) + 3 * 2 + 1);
    // From then on: the fleet partition, the run index, each run's partition and its rollup, and no scan read at all.
    store.requests.reset();
    const again = (await call(deps, '/fleet/trend')).json as Trend;
    expect(again.points).toEqual(t.points);
    expect(again.changes).toEqual(t.changes);
    const scanReads = store.requests.byKind[`GET ${store.tables.scans}`] ?? 0;
    expect(store.requests.total).toBeLessThanOrEqual(1 + (1 + 3) + 3 + scanReads);
    // Only a run not yet over (incomplete, and started less than two schedule periods ago) is read again.
    const runs = ((await call(deps, '/scans?top=10')).json as { items: { runId: string; complete: boolean }[] }).items;
    const open = runs.filter((r) => !r.complete && r.runId !== t.points.at(-1)?.runId);
    expect(open.length).toBeGreaterThan(0);
    expect(scanReads).toBe(open.length);
    const none = (await call(deps, '/fleet/trend?resourceGroup=rg-nowhere')).json as Trend;
    expect(none.points.every((p) => p.scanned === 0 && p.fail === 0)).toBe(true);
  });
});
