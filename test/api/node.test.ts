/** GET /clusters/{sub}/{rg}/{name}/nodes/{node}: one node's full stored result, with triage, over the seeded Azurite store. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/index.js';
import { triageCheck } from '../../src/knowledge/index.js';
import type { ClusterScan, ScannedNode } from '../../src/model/cluster.js';
import { countTotals } from '../../src/model/result.js';
import { makeCheck } from '../fixtures/checks.js';
import type { Store } from '../../src/store/store.js';
import { useAzurite } from '../support/azurite.js';
import { nodesOf } from './expect.js';
import { call, classify, depsFor, latestOf, ref, seedFleet, SUB_B, type SeededCluster } from './fleet.js';

const az = useAzurite();

interface NodeBody {
  cluster: { id: string; name: string };
  scanId: string;
  node: {
    name: string;
    pool: string | null;
    benchmark: string | null;
    totals: { pass: number; fail: number; warn: number; info: number };
    warnings: string[];
    checks: {
      id: string;
      benchmark: string | null;
      status: string;
      expected: string | null;
      actual: string | null;
      remediation: string | null;
      triage: { topic: string; disposition: string; whatToDo: string } | null;
    }[];
  };
}

let store: Store;
let fleet: SeededCluster[];
let deps: ApiDeps;

beforeAll(async () => {
  store = await az.store();
  fleet = await seedFleet(store);
  deps = depsFor(store);
});

const byName = (name: string): SeededCluster => {
  const c = fleet.find((f) => f.ref.name === name);
  if (!c) throw new Error(`no seeded cluster ${name}`);
  return c;
};
const nodesPath = (c: SeededCluster): string => `/clusters/${c.ref.subscriptionId}/${c.ref.resourceGroup}/${c.ref.name}/nodes`;
const seededNode = (c: SeededCluster, name: string): ScannedNode => {
  const r = latestOf(c).results;
  const n = r ? (nodesOf(r.scan) as ScannedNode[]).find((x) => x.name === name) : undefined;
  if (!n) throw new Error(`no seeded node ${name}`);
  return n;
};

describe('GET /clusters/{subscriptionId}/{resourceGroup}/{name}/nodes/{node}', () => {
  it("answers the stored node of the latest results: every check with status, expected, actual, remediation and the knowledge base's triage", async () => {
    const c = byName('aks-prod-1');
    const want = seededNode(c, 'aks-system-0');
    const r = await call(deps, `${nodesPath(c)}/aks-system-0`);
    expect(r.status).toBe(200);
    const b = r.json as NodeBody;
    expect(b.scanId).toBe(latestOf(c).results?.scanId);
    expect(b.cluster.name).toBe('aks-prod-1');
    expect([b.node.name, b.node.pool, b.node.benchmark, b.node.totals, b.node.warnings]).toEqual([
      want.name,
      want.pool,
      want.benchmark,
      want.totals,
      want.warnings,
    ]);
    expect(b.node.checks.map((k) => [k.id, k.benchmark, k.status, k.expected, k.actual, k.remediation])).toEqual(
      want.checks.map((k) => [k.id, k.benchmark, k.status, k.expected, k.actual, k.remediation]),
    );
    const ro = b.node.checks.find((k) => k.id === '3.2.4');
    const kb = triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: want.checks.find((k) => k.id === '3.2.4')?.title ?? '', actual: ro?.actual ?? null });
    expect(ro?.status).toBe('FAIL');
    expect(ro?.triage).toMatchObject({ topic: kb?.topic, disposition: kb?.disposition, whatToDo: kb?.whatToDo });
    // The policies check appended on system nodes is triaged too (pods.privileged).
    expect(b.node.checks.find((k) => k.id === '4.2.1')?.triage?.topic).toBe('pods.privileged');
  });

  it('a check the knowledge base does not know has triage null', async () => {
    const b = (await call(deps, `${nodesPath(byName('aks-prod-2'))}/cis-pool-0`)).json as NodeBody;
    expect(b.node.checks.find((k) => k.id === '4.9.99')?.triage).toBeNull();
  });

  it('uses the latest results when the latest attempt was skipped; ?scan= picks a scan', async () => {
    const c = byName('aks-dev-1');
    const latest = (await call(deps, `${nodesPath(c)}/aks-dev-0`)).json as NodeBody;
    expect(latest.scanId).toBe('scan-dev1-1');
    expect(latest.node.checks.filter((k) => k.status === 'FAIL').map((k) => k.id)).toEqual(['3.2.4']);
    expect(((await call(deps, `${nodesPath(c)}/aks-dev-0?scan=scan-dev1-1`)).json as NodeBody).scanId).toBe('scan-dev1-1');
    // The skipped attempt has no nodes.
    const none = await call(deps, `${nodesPath(c)}/aks-dev-0?scan=scan-dev1-2`);
    expect(none.status).toBe(404);
  });

  it('answers CSV with one row per check', async () => {
    const c = byName('aks-prod-1');
    const want = seededNode(c, 'aks-user-0');
    const r = await call(deps, `${nodesPath(c)}/aks-user-0?format=csv`);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = r.text.trimEnd().split('\r\n');
    const cols = (header ?? '').split(',');
    expect(cols.slice(0, 6)).toEqual(['checkId', 'benchmark', 'section', 'title', 'assessment', 'status']);
    expect(cols).toEqual(expect.arrayContaining(['expected', 'actual', 'remediation', 'topic', 'disposition', 'whatToDo']));
    expect(rows).toHaveLength(want.checks.length);
    expect(rows.map((l) => l.split(',')[0])).toEqual(want.checks.map((k) => k.id));
  });

  it('404 names the node, or says the cluster has no results; 400 for a malformed node name', async () => {
    const c = byName('aks-prod-1');
    const missing = await call(deps, `${nodesPath(c)}/aks-nowhere-9`);
    expect(missing.status).toBe(404);
    expect((missing.json as { error: { message: string } }).error.message).toMatch(/node "aks-nowhere-9".*scan "scan-prod1-2"/);
    const never = await call(deps, `/clusters/${SUB_B}/rg-b/aks-b-1/nodes/aks-b-0`);
    expect(never.status).toBe(404);
    expect((never.json as { error: { message: string } }).error.message).toMatch(/"aks-b-1".*no results/);
    expect((await call(deps, `/clusters/${SUB_B}/rg-b/aks-unknown/nodes/n`)).status).toBe(404);
    for (const bad of ['Upper_Case', '-lead', encodeURIComponent("x' or '1' eq '1"), 'a'.repeat(254)]) {
      const r = await call(deps, `${nodesPath(c)}/${bad}`);
      expect(r.status, bad).toBe(400);
      expect((r.json as { error: { message: string } }).error.message, bad).toMatch(/path segment node/);
    }
    expect((await call(deps, `${nodesPath(c)}/aks-system-0?rows=1`)).status).toBe(400);
    expect((await call(deps, `${nodesPath(c)}/aks-system-0?top=201`)).status).toBe(400);
  });

  it('pages the checks with top and skip; the pages together are the whole node, in order, JSON and CSV alike', async () => {
    const c = byName('aks-prod-1');
    const want = seededNode(c, 'aks-system-0');
    const ids: string[] = [];
    let skip: number | null = 0;
    let pages = 0;
    while (skip !== null) {
      const r = await call(deps, `${nodesPath(c)}/aks-system-0?top=7&skip=${skip}`);
      expect(r.status).toBe(200);
      const body = r.json as NodeBody & { page: { skip: number; top: number; total: number; nextSkip: number | null } };
      expect(body.page).toMatchObject({ skip, top: 7, total: want.checks.length });
      expect(body.node.checks.length).toBeLessThanOrEqual(7);
      ids.push(...body.node.checks.map((k) => k.id));
      skip = body.page.nextSkip;
      pages++;
    }
    expect(pages).toBe(Math.ceil(want.checks.length / 7));
    expect(ids).toEqual(want.checks.map((k) => k.id));
    const csvPage = await call(deps, `${nodesPath(c)}/aks-system-0?format=csv&top=3&skip=3`);
    expect(
      csvPage.text
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(want.checks.slice(3, 6).map((k) => k.id));
  });

  it('answers 422 with a clear message when one page would be larger than the API answers, and serves smaller pages', async () => {
    // A node stored with huge values (as before the input limits): 200 checks of ~60 KB each.
    const big = 'x'.repeat(60_000);
    const checks = Array.from({ length: 200 }, (_, i) => makeCheck(`3.2.${i + 1}`, `Check ${i + 1}`, 'FAIL', { actual: big, remediation: big }));
    const r0 = ref(SUB_B, 'rg-big', 'aks-big');
    const scan: ClusterScan = {
      cluster: r0,
      benchmark: 'aks-1.8',
      outcome: {
        kind: 'scanned',
        nodes: [{ name: 'aks-big-0', pool: 'p', benchmark: 'aks-1.8', totals: countTotals(checks), checks, warnings: [] }],
        nodeFailures: [],
      },
      startedAt: '2026-11-26T10:00:00.000Z',
      finishedAt: '2026-11-26T10:01:00.000Z',
    };
    await store.saveClusterScan(scan, { runId: 'run-big', scanId: 'scan-big' }, classify);
    const path = `/clusters/${SUB_B}/rg-big/aks-big/nodes/aks-big-0`;
    for (const q of ['', '?format=csv']) {
      const r = await call(deps, `${path}${q}`);
      expect(r.status, q).toBe(422);
      expect((JSON.parse(r.text) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'ResponseTooLarge',
        message: expect.stringMatching(/over \d+ characters.*smaller top/),
      });
    }
    expect((await call(deps, `${path}?top=20`)).status).toBe(200);
  });
});
