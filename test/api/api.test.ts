import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/index.js';
import { entryByTopic, triageCheck } from '../../src/knowledge/index.js';
import type { FleetSummary } from '../../src/report/summary.js';
import type { Store } from '../../src/store/store.js';
import { useAzurite } from '../support/azurite.js';
import { checkTotals, clustersFailingTopic, dispositionCounts, failingOf, isStale, withResults } from './expect.js';
import { call, classify, depsFor, latestOf, ref, seedFleet, SUB_A, SUB_B, type SeededCluster } from './fleet.js';
import type { ApiDeps } from '../../src/api/index.js';
import type { CheckFailing } from '../../src/api/schemas.js';

const az = useAzurite();

interface ClusterList {
  items: { id: string; name: string; outcome: string; stale: boolean; href: string; results: { totals: { fail: number } } | null }[];
  total: number;
  top: number;
  skip: number;
  nextPage: string | null;
}

let store: Store;
let fleet: SeededCluster[];
let deps: ApiDeps;
const requested: (string[] | null)[] = [];

beforeAll(async () => {
  store = await az.store();
  fleet = await seedFleet(store);
  deps = depsFor(store, requested);
});

const byName = (name: string): SeededCluster => {
  const c = fleet.find((f) => f.ref.name === name);
  if (!c) throw new Error(`no seeded cluster ${name}`);
  return c;
};
const path = (c: SeededCluster): string => `/clusters/${c.ref.subscriptionId}/${c.ref.resourceGroup}/${c.ref.name}`;

describe('GET /health', () => {
  it('answers ok with the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await call(deps, '/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', version: pkg.version });
  });
});

describe('GET /summary', () => {
  it('counts outcomes, checks, triage, top topics, subscriptions and staleness from the seeded scans', async () => {
    const r = await call(deps, '/summary');
    expect(r.status).toBe(200);
    const s = r.json as FleetSummary;
    const outcomes = fleet.map((c) => latestOf(c).latest.scan.outcome.kind);
    expect(s.clusters).toEqual({
      total: fleet.length,
      scanned: outcomes.filter((o) => o === 'scanned').length,
      skipped: outcomes.filter((o) => o === 'skipped').length,
      failed: outcomes.filter((o) => o === 'failed').length,
      stale: fleet.filter(isStale).length,
      withResults: withResults(fleet).length,
    });
    // The seeded fleet is fixed: exact counts, so a fixture change that empties a case fails here.
    expect(s.clusters.stale).toBe(2);
    expect(s.checks).toEqual(checkTotals(fleet));
    expect(s.reasons).toEqual({ skipped: { stopped: 1 }, failed: { timeout: 1 } });

    const d = dispositionCounts(fleet);
    expect(s.triage.byDisposition).toEqual(
      Object.fromEntries(['action', 'environment', 'platform', 'equivalent-control', 'check-quirk', 'obsolete', 'unknown'].map((k) => [k, d[k] ?? 0])),
    );
    expect(s.triage.yoursToFix).toEqual({ total: (d['action'] ?? 0) + (d['environment'] ?? 0), action: d['action'] ?? 0, environment: d['environment'] ?? 0 });
    expect(s.triage.yoursToFix.action).toBe(1);
    expect(s.triage.notYours.unknown).toBe(1);
    expect(s.triage.clustersWith['check-quirk']).toBe(fleet.filter((c) => [...failingOf(c).values()].some((f) => f.disposition === 'check-quirk')).length);

    const ro = 'kubelet.read-only-port';
    const row = s.topFailing.find((t) => t.topic === ro);
    const failing = clustersFailingTopic(fleet, ro).length;
    expect(row).toEqual({
      topic: ro,
      title: entryByTopic(ro)?.title,
      disposition: triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' })?.disposition,
      clusters: failing,
      share: Math.round((failing / withResults(fleet).length) * 10_000) / 10_000,
    });
    expect(s.topFailing[0]?.topic).toBe(ro);
    // Quirk on aks-1.8, action on cis-1.10: both disposition filters must find it, and it says so.
    expect(s.topFailing.find((t) => t.topic === 'kubelet.rotate-kubelet-server-certificate')?.disposition).toBe('mixed');

    expect(s.subscriptions.map((x) => [x.subscriptionId, x.clusters, x.stale])).toEqual([
      [SUB_A, fleet.filter((c) => c.ref.subscriptionId === SUB_A).length, fleet.filter((c) => c.ref.subscriptionId === SUB_A && isStale(c)).length],
      [SUB_B, fleet.filter((c) => c.ref.subscriptionId === SUB_B).length, fleet.filter((c) => c.ref.subscriptionId === SUB_B && isStale(c)).length],
    ]);
    expect(s.subscriptions[0]?.checks).toEqual(checkTotals(fleet.filter((c) => c.ref.subscriptionId === SUB_A)));
    const finishes = fleet.map((c) => latestOf(c).latest.scan.finishedAt).sort();
    expect(s.lastScan).toBe(finishes[finishes.length - 1]);
    expect(s.staleClusters.map((c) => c.name)).toEqual(fleet.filter(isStale).map((c) => c.ref.name));
  });

  it('reads the fleet digest or the per-cluster partition: one listing request, whatever the number of checks (also /clusters and /checks)', async () => {
    // The digest's shards (one query); a tag filter reads the fleet partition instead (one query at this size).
    for (const p of ['/summary', `/summary?subscription=${SUB_A}&disposition=action&tag=env`]) {
      store.requests.reset();
      expect((await call(deps, p)).status, p).toBe(200);
      expect(store.requests.total, p).toBe(1);
    }
    // A page: the digest, then the page's entities by key range.
    store.requests.reset();
    expect((await call(deps, '/clusters?top=1')).status).toBe(200);
    expect(store.requests.total).toBe(2);
    // A topic: the digest, then the clusters on the page and their rows of the topic's aggregate (a key range for
    // neighbours), never the fleet partition.
    for (const p of ['/checks/kubelet.read-only-port', '/checks/kubelet.read-only-port?top=1']) {
      store.requests.reset();
      const res = await call(deps, p);
      expect(res.status, p).toBe(200);
      const items = (res.json as CheckFailing).clusters.length;
      expect(items, p).toBeGreaterThan(0);
      expect(store.requests.total, p).toBeGreaterThanOrEqual(3);
      expect(store.requests.total, p).toBeLessThanOrEqual(1 + 2 * items);
    }
  });

  it('filters by subscription, resource group (any case), benchmark and disposition', async () => {
    const total = async (q: string): Promise<number> => ((await call(deps, `/summary?${q}`)).json as FleetSummary).clusters.total;
    expect(await total(`subscription=${SUB_B}`)).toBe(fleet.filter((c) => c.ref.subscriptionId === SUB_B).length);
    expect(await total(`subscription=${SUB_A.toUpperCase()}`)).toBe(fleet.filter((c) => c.ref.subscriptionId === SUB_A).length);
    expect(await total('resourceGroup=RG-DEV')).toBe(1);
    expect(await total(`subscription=${SUB_B}&resourceGroup=rg-dev`)).toBe(0);
    // The results' benchmark: aks-dev-1's latest attempt was skipped (no benchmark) after an aks-1.8 scan.
    for (const b of ['cis-1.10', 'aks-1.8'])
      expect(await total(`benchmark=${b}`), b).toBe(fleet.filter((c) => latestOf(c).results?.scan.benchmark === b).length);
    const aks18 = ((await call(deps, '/clusters?benchmark=aks-1.8')).json as ClusterList).items.map((i) => i.name);
    expect(aks18).toContain('aks-dev-1');
    expect(aks18).not.toContain('aks-b-1');
    for (const d of ['action', 'environment', 'check-quirk', 'unknown', 'platform']) {
      const s = (await call(deps, `/summary?disposition=${d}`)).json as FleetSummary;
      expect(s.clusters.total, d).toBe(fleet.filter((c) => [...failingOf(c).values()].some((f) => f.disposition === d)).length);
      for (const t of s.topFailing) expect([d, 'mixed'], t.topic).toContain(t.disposition);
    }
    const action = (await call(deps, '/summary?disposition=action')).json as FleetSummary;
    expect(action.topFailing.map((t) => t.topic)).toEqual(['kubelet.rotate-kubelet-server-certificate']);
  });

  it('filters by tag: a name (any case) or name=value split at the first =', async () => {
    const names = async (q: string): Promise<string[]> => ((await call(deps, `/clusters?${q}`)).json as ClusterList).items.map((i) => i.name);
    const tagged = (pred: (t: Record<string, string>) => boolean): string[] =>
      fleet
        .filter((c) => pred(c.ref.tags))
        .map((c) => c.ref.name)
        .sort();
    expect((await names('tag=env%3Dprod')).sort()).toEqual(tagged((t) => t['env'] === 'prod'));
    expect((await names('tag=ENV%3Ddev')).sort()).toEqual(tagged((t) => t['env'] === 'dev'));
    expect(await names('tag=env%3DProd')).toEqual([]);
    expect(await names('tag=owner')).toEqual(['aks-prod-1']);
    expect(await names('tag=Owner%3Dteam%3Dplatform')).toEqual(['aks-prod-1']);
    expect(await names('tag=Owner%3Dteam')).toEqual([]);
    const s = (await call(deps, '/summary?tag=env%3Dprod')).json as FleetSummary;
    expect(s.clusters.total).toBe(tagged((t) => t['env'] === 'prod').length);
    const item = ((await call(deps, '/clusters?tag=owner')).json as { items: { tags: Record<string, string> }[] }).items[0];
    expect(item?.tags).toEqual(fleet.find((c) => c.ref.name === 'aks-prod-1')?.ref.tags);
    expect((await call(deps, '/clusters?tag=a%3Cb')).status).toBe(400);
  });

  it('answers CSV: one row per top failing topic, or per subscription', async () => {
    const topics = await call(deps, '/summary?format=csv');
    expect(topics.headers['content-type']).toMatch(/^text\/csv/);
    const s = (await call(deps, '/summary')).json as FleetSummary;
    const lines = topics.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('topic,title,disposition,clusters,share');
    expect(lines.length - 1).toBe(s.topFailing.length);
    expect(lines[1]?.startsWith(`${s.topFailing[0]?.topic},`)).toBe(true);
    const subs = await call(deps, '/summary?rows=subscriptions', { headers: { Accept: 'text/csv' } });
    const sl = subs.text.trimEnd().split('\r\n');
    expect(sl[0]?.split(',')[0]).toBe('subscriptionId');
    expect(sl.slice(1).map((l) => l.split(',')[0])).toEqual([SUB_A, SUB_B]);
    expect((await call(deps, '/summary?rows=subscriptions')).status).toBe(400);
  });

  it('limits topFailing with top', async () => {
    const s = (await call(deps, '/summary?top=1')).json as FleetSummary;
    expect(s.topFailing).toHaveLength(1);
  });
});

describe('GET /clusters', () => {
  it('pages with top and the continuation token, in a stable order, without gaps or repeats', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const r = await call(deps, `/clusters?top=2${next ? `&page=${next}` : ''}`);
      expect(r.status).toBe(200);
      const body = r.json as ClusterList;
      expect(body.total).toBe(fleet.length);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((i) => i.name));
      next = body.nextPage;
      pages++;
    } while (next && pages < 10);
    expect(pages).toBe(Math.ceil(fleet.length / 2));
    expect(seen).toEqual(
      [...fleet]
        .sort((a, b) =>
          `${a.ref.subscriptionId}/${a.ref.resourceGroup}/${a.ref.name}`.localeCompare(`${b.ref.subscriptionId}/${b.ref.resourceGroup}/${b.ref.name}`),
        )
        .map((c) => c.ref.name),
    );
    const skipped = (await call(deps, `/clusters?skip=${fleet.length - 1}`)).json as ClusterList;
    expect(skipped.items.map((i) => i.name)).toEqual([seen[seen.length - 1]]);
    expect(skipped.nextPage).toBeNull();
  });

  it('applies the filters and marks stale clusters; items link to their detail', async () => {
    const r = (await call(deps, `/clusters?subscription=${SUB_B}`)).json as ClusterList;
    expect(r.items.map((i) => [i.name, i.stale])).toEqual(fleet.filter((c) => c.ref.subscriptionId === SUB_B).map((c) => [c.ref.name, isStale(c)]));
    const d = (await call(deps, '/clusters?disposition=environment')).json as ClusterList;
    expect(d.items.map((i) => i.name)).toEqual(['aks-prod-1']);
    const item = r.items[0];
    expect(item?.href).toBe(`/api${path(byName(item?.name ?? ''))}`);
  });

  it('refuses a token replayed with other filters, skip with page, and bad paging values', async () => {
    const first = (await call(deps, '/clusters?top=1')).json as ClusterList;
    const cases: [string, RegExp][] = [
      [`/clusters?top=1&page=${first.nextPage}&subscription=${SUB_A}`, /"page".*other filters/],
      [`/clusters?page=${first.nextPage}&skip=1`, /"skip" and "page"/],
      ['/clusters?page=bm90LWEtdG9rZW4', /"page"/],
      ['/clusters?top=101', /"top".*1 to 100/],
      ['/clusters?top=0', /"top"/],
      ['/clusters?top=abc', /"top".*whole number/],
      ['/clusters?top=-1', /"top"/],
      ['/clusters?skip=1.5', /"skip"/],
      ['/clusters?top=1&top=2', /"top".*more than once/],
      ['/clusters?limit=5', /unknown query parameter "limit"/],
      ['/clusters?disposition=yours', /"disposition".*action/],
      ['/clusters?subscription=not-a-guid', /"subscription".*GUID/],
      ['/clusters?format=xml', /"format"/],
    ];
    for (const [q, message] of cases) {
      const r = await call(deps, q);
      expect(r.status, q).toBe(400);
      expect(r.json, q).toEqual({ error: { code: 'BadRequest', message: expect.stringMatching(message) } });
    }
  });

  it('accepts the function key parameter everywhere', async () => {
    expect((await call(deps, '/clusters?code=abc&top=1')).status).toBe(200);
    expect((await call(deps, '/health?code=abc')).status).toBe(200);
  });

  it('answers CSV, one row per cluster, with formula-looking text neutralised', async () => {
    const r = await call(deps, '/clusters?format=csv&top=100');
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]?.startsWith('subscriptionId,resourceGroup,name,')).toBe(true);
    expect(lines).toHaveLength(fleet.length + 1);
    expect(r.headers['content-disposition']).toBe('attachment; filename="clusters.csv"');

    // Details come from run-command output: a cell that starts like a formula must not run as one.
    const own = await az.store();
    const c = ref(SUB_A, 'rg-x', 'aks-formula');
    await own.saveClusterScan(
      {
        cluster: c,
        benchmark: null,
        outcome: { kind: 'failed', reason: 'command-failed', detail: '=HYPERLINK("http://x","y")' },
        startedAt: '2026-11-26T01:00:00.000Z',
        finishedAt: '2026-11-26T01:01:00.000Z',
      },
      { runId: 'r', scanId: 's' },
      classify,
    );
    const f = await call(depsFor(own), '/clusters?format=csv');
    expect(f.text).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(f.text).not.toMatch(/,=HYPERLINK/);
  });
});

describe('GET /clusters/{subscriptionId}/{resourceGroup}/{name}', () => {
  interface Detail {
    cluster: { id: string; name: string };
    scan: { scanId: string; outcome: { kind: string; reason?: string } };
    results: {
      scanId: string;
      pools: {
        pool: string;
        nodes: { name: string }[];
        triage: Record<string, number>;
        checks: { id: string; status: string; disposition: string | null; whatToDo: string | null; failingNodes: string[] }[];
      }[];
    } | null;
  }

  it('gives the latest results per node pool, with triage and what to do', async () => {
    const c = byName('aks-prod-1');
    const r = await call(deps, path(c));
    expect(r.status).toBe(200);
    const d = r.json as Detail;
    expect(d.cluster.id).toBe(c.ref.id);
    expect(d.scan.scanId).toBe(latestOf(c).latest.scanId);
    expect(d.results?.pools.map((p) => [p.pool, p.nodes.map((n) => n.name)])).toEqual([
      ['system', ['aks-system-0', 'aks-system-1']],
      ['user', ['aks-user-0']],
    ]);
    const system = d.results?.pools[0];
    const ro = system?.checks.find((k) => k.id === '3.2.4');
    expect(ro?.status).toBe('FAIL');
    expect(ro?.failingNodes).toEqual(['aks-system-0', 'aks-system-1']);
    expect(ro?.disposition).toBe(triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' })?.disposition);
    expect(ro?.whatToDo).toBe(triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' })?.whatToDo);
    expect(system?.triage['environment']).toBe(1);
    expect(d.results?.pools[1]?.triage['environment']).toBeUndefined();
  });

  it('when the latest attempt was skipped, shows it and the results of the last scan; ?scan= picks an earlier scan', async () => {
    const c = byName('aks-dev-1');
    const d = (await call(deps, path(c).toUpperCase().replace('/CLUSTERS/', '/clusters/'))).json as Detail;
    expect(d.scan.outcome).toEqual({ kind: 'skipped', reason: 'stopped', detail: 'powerState is Stopped' });
    expect(d.results?.scanId).toBe('scan-dev1-1');
    const old = (await call(deps, `${path(c)}?scan=scan-dev1-1`)).json as Detail;
    expect(old.scan.scanId).toBe('scan-dev1-1');
    expect(old.results?.pools[0]?.checks.filter((k) => k.status === 'FAIL').map((k) => k.id)).toEqual(['3.2.4']);
    const skippedScan = (await call(deps, `${path(c)}?scan=scan-dev1-2`)).json as Detail;
    expect(skippedScan.results).toBeNull();
  });

  it('answers CSV with one row per check per pool', async () => {
    const c = byName('aks-prod-1');
    const r = await call(deps, `${path(c)}?format=csv`);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('pool,checkId,benchmark,section,title,status,pass,fail,warn,info,failingNodes,topic,disposition,whatToDo');
    const perPool = new Map<string, Set<string>>();
    const a = latestOf(c).results?.scan;
    for (const n of a?.outcome.kind === 'scanned' ? a.outcome.nodes : []) {
      const s = perPool.get(n.pool ?? '') ?? new Set<string>();
      for (const k of n.checks) s.add(`${k.benchmark}:${k.id}`);
      perPool.set(n.pool ?? '', s);
    }
    expect(lines.length - 1).toBe([...perPool.values()].reduce((n, s) => n + s.size, 0));
  });

  it('404 names the cluster; 404 for an unknown scan; 400 for a malformed segment', async () => {
    const r = await call(deps, `/clusters/${SUB_A}/rg-prod/aks-nowhere`);
    expect(r.status).toBe(404);
    expect((r.json as { error: { code: string; message: string } }).error).toEqual({ code: 'NotFound', message: expect.stringContaining('"aks-nowhere"') });
    expect((await call(deps, `${path(byName('aks-prod-1'))}?scan=nope`)).status).toBe(404);
    expect((await call(deps, '/clusters/not-a-guid/rg/name')).status).toBe(400);
    expect((await call(deps, `/clusters/${SUB_A}/rg-prod/bad%20name`)).status).toBe(400);
  });
});

describe('GET /clusters/.../history', () => {
  it('lists totals per scan, newest first, as JSON and CSV', async () => {
    const c = byName('aks-dev-1');
    const r = await call(deps, `${path(c)}/history`);
    const h = r.json as { items: { scanId: string; outcome: { kind: string }; totals: { fail: number } }[] };
    expect(h.items.map((i) => [i.scanId, i.outcome.kind])).toEqual([...c.attempts].reverse().map((a) => [a.scanId, a.scan.outcome.kind]));
    expect((await call(deps, `${path(c)}/history?top=1`)).json).toMatchObject({ items: [{ scanId: 'scan-dev1-2' }] });
    const csv = await call(deps, `${path(c)}/history?format=csv`);
    expect(csv.text.split('\r\n')[0]?.startsWith('scanId,runId,benchmark,startedAt,finishedAt,outcome,reason,pass,fail')).toBe(true);
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(c.attempts.length + 1);
    expect((await call(deps, `/clusters/${SUB_A}/rg-prod/aks-nowhere/history`)).status).toBe(404);
    expect((await call(deps, `${path(c)}/history?top=1001`)).status).toBe(400);
  });
});

describe('GET /checks/{topicOrId}', () => {
  it('by topic: the knowledge-base entry and every cluster failing it', async () => {
    const r = await call(deps, '/checks/kubelet.read-only-port');
    expect(r.status).toBe(200);
    const b = r.json as { entry: { topic: string }; clusters: { name: string }[]; total: number };
    expect(b.entry.topic).toBe('kubelet.read-only-port');
    expect(b.clusters.map((c) => c.name).sort()).toEqual(
      clustersFailingTopic(fleet, 'kubelet.read-only-port')
        .map((c) => c.ref.name)
        .sort(),
    );
    const narrowed = (await call(deps, `/checks/kubelet.read-only-port?subscription=${SUB_B}`)).json as { clusters: { name: string }[] };
    expect(narrowed.clusters.map((c) => c.name)).toEqual(['aks-b-old']);
  });

  it('pages the failing clusters; a token of another route or topic is refused', async () => {
    const all = clustersFailingTopic(fleet, 'kubelet.read-only-port').map((c) => c.ref.name);
    const names: string[] = [];
    let next: string | null = null;
    do {
      const r = (await call(deps, `/checks/kubelet.read-only-port?top=1${next ? `&page=${next}` : ''}`)).json as {
        clusters: { name: string }[];
        total: number;
        nextPage: string | null;
      };
      expect(r.total).toBe(all.length);
      expect(r.clusters).toHaveLength(1);
      names.push(...r.clusters.map((c) => c.name));
      next = r.nextPage;
    } while (next && names.length < 10);
    expect(names.sort()).toEqual([...all].sort());
    const clustersToken = ((await call(deps, '/clusters?top=1')).json as ClusterList).nextPage;
    expect((await call(deps, `/checks/kubelet.read-only-port?page=${clustersToken}`)).status).toBe(400);
    const topicToken = ((await call(deps, '/checks/kubelet.read-only-port?top=1')).json as { nextPage: string }).nextPage;
    expect((await call(deps, `/checks/kubelet.event-qps?page=${topicToken}`)).status).toBe(400);
    expect((await call(deps, '/checks/kubelet.read-only-port?top=101')).status).toBe(400);
  });

  it('by check id with a benchmark; the disposition follows the benchmark', async () => {
    const quirk = (await call(deps, '/checks/3.2.9?benchmark=aks-1.8')).json as { entry: { topic: string }; disposition: string; clusters: { name: string }[] };
    expect(quirk.entry.topic).toBe('kubelet.rotate-kubelet-server-certificate');
    expect(quirk.disposition).toBe(triageCheck({ id: '3.2.9', benchmark: 'aks-1.8', title: '' })?.disposition);
    expect(quirk.clusters.map((c) => c.name)).toEqual(['aks-prod-1']);
    const action = (await call(deps, '/checks/4.2.11?benchmark=cis-1.10')).json as { disposition: string; clusters: { name: string }[] };
    expect(action.disposition).toBe('action');
    expect(action.clusters.map((c) => c.name)).toEqual(['aks-prod-2']);
    const unknown = (await call(deps, '/checks/4.9.99?benchmark=cis-1.10')).json as { entry: unknown; clusters: { name: string }[] };
    expect(unknown.entry).toBeNull();
    expect(unknown.clusters.map((c) => c.name)).toEqual(['aks-prod-2']);
  });

  it('answers CSV: one row per failing cluster, by topic or by check id', async () => {
    const r = await call(deps, '/checks/kubelet.read-only-port?format=csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = r.text.trimEnd().split('\r\n');
    const cols = (header ?? '').split(',');
    expect(cols.slice(0, 3)).toEqual(['subscriptionId', 'resourceGroup', 'name']);
    expect(rows.map((l) => l.split(',')[cols.indexOf('name')]).sort()).toEqual(
      clustersFailingTopic(fleet, 'kubelet.read-only-port')
        .map((c) => c.ref.name)
        .sort(),
    );
    const byId = await call(deps, '/checks/4.2.11?benchmark=cis-1.10', { headers: { accept: 'text/csv' } });
    expect(
      byId.text
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[2]),
    ).toEqual(['aks-prod-2']);
    expect(byId.headers['content-disposition']).toBe('attachment; filename="failing-cis-1.10-4.2.11.csv"');
    expect((await call(deps, '/checks/kubelet.read-only-port?format=xml')).status).toBe(400);
  });

  it('400 without a benchmark for an id or for a malformed key; 404 for an unknown topic or check', async () => {
    expect((await call(deps, '/checks/3.2.4')).json).toEqual({ error: { code: 'BadRequest', message: expect.stringMatching(/"benchmark" is required/) } });
    expect((await call(deps, '/checks/Not A Topic')).status).toBe(400);
    expect((await call(deps, '/checks/kubelet.no-such-thing')).status).toBe(404);
    expect((await call(deps, '/checks/9.9.9?benchmark=aks-1.8')).status).toBe(404);
  });
});

describe('/scans', () => {
  it('lists runs newest first with progress, by id, and as CSV', async () => {
    const list = (await call(deps, '/scans')).json as { items: { runId: string; queued: number; done: number; complete: boolean }[] };
    expect(list.items.map((i) => i.runId)).toEqual(['run-2', 'run-1']);
    const done = (runId: string): number => fleet.flatMap((c) => c.attempts).filter((a) => a.runId === runId).length;
    expect(list.items.map((i) => i.done)).toEqual([done('run-2'), done('run-1')]);
    const one = (await call(deps, '/scans/run-1')).json as { runId: string; scanned: number };
    expect(one.runId).toBe('run-1');
    expect((await call(deps, '/scans/run-404')).status).toBe(404);
    const csv = await call(deps, '/scans?format=csv');
    expect(
      csv.text
        .trimEnd()
        .split('\r\n')
        .map((l) => l.split(',')[0]),
    ).toEqual(['runId', 'run-2', 'run-1']);
    const oneCsv = await call(deps, '/scans/run-1?format=csv');
    expect(oneCsv.status).toBe(200);
    expect(oneCsv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, row, ...more] = oneCsv.text.trimEnd().split('\r\n');
    expect(more).toEqual([]);
    expect(header).toBe(csv.text.split('\r\n')[0]);
    const cells = Object.fromEntries((header ?? '').split(',').map((h, i) => [h, row?.split(',')[i]]));
    expect([cells['runId'], cells['scanned'], cells['done']]).toEqual(['run-1', String(one.scanned), String(done('run-1'))]);
    expect((await call(deps, '/scans/run-1', { headers: { accept: 'text/csv' } })).headers['content-type']).toMatch(/^text\/csv/);
    expect((await call(deps, '/scans/run-404?format=csv')).status).toBe(404);
    expect(((await call(deps, '/scans?top=1')).json as { items: unknown[] }).items).toHaveLength(1);
  });

  it('POST starts a scan of the listed clusters (deduplicated) or of all, answering 202 with the run', async () => {
    const ids = [byName('aks-prod-1').ref.id, byName('aks-prod-1').ref.id.toLowerCase(), byName('aks-b-1').ref.id];
    const r = await call(deps, '/scans', { method: 'POST', body: { clusters: ids } });
    expect(r.status).toBe(202);
    const body = r.json as { runId: string; queued: number; status: string; missing: string[] };
    expect(body.queued).toBe(2);
    expect(body.missing).toEqual([]);
    expect(r.headers['location']).toBe(`/api/scans/${body.runId}`);
    expect(requested[requested.length - 1]).toEqual([ids[0], ids[2]]);
    // An id the scanner cannot find is answered as missing, not dropped.
    const gone = ref(SUB_A, 'rg-prod', 'aks-deleted').id;
    const partly = await call(deps, '/scans', { method: 'POST', body: { clusters: [ids[0], gone] } });
    expect(partly.status).toBe(202);
    expect(partly.json).toMatchObject({ queued: 1, missing: [gone] });
    for (const empty of [undefined, '', '{}', {}]) {
      const all = await call(deps, '/scans', { method: 'POST', ...(empty === undefined ? {} : { body: empty }) });
      expect(all.status).toBe(202);
      expect(requested[requested.length - 1]).toBeNull();
    }
    const bad: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [{ clusters: ['aks-prod-1'] }, /body\.clusters\.0.*resource id/],
      [{ clusters: [] }, /body\.clusters/],
      [{ cluster: [ids[0]] }, /request body|cluster/],
      [JSON.stringify({ clusters: 'all' }), /body\.clusters/],
    ];
    const before = requested.length;
    for (const [b, m] of bad) {
      const e = await call(deps, '/scans', { method: 'POST', body: b });
      expect(e.status, JSON.stringify(b)).toBe(400);
      expect((e.json as { error: { message: string } }).error.message).toMatch(m);
    }
    expect(requested.length).toBe(before);
  });
});

describe('routing', () => {
  it('404 for unknown routes, 405 with Allow for a wrong method', async () => {
    const r = await call(deps, '/nope');
    expect(r.status).toBe(404);
    expect((r.json as { error: { code: string } }).error.code).toBe('NotFound');
    const m = await call(deps, '/summary', { method: 'DELETE' });
    expect(m.status).toBe(405);
    expect(m.headers['allow']).toBe('GET');
    const s = await call(deps, '/scans', { method: 'PUT' });
    expect(s.headers['allow']).toBe('GET, POST');
    expect((await call(deps, '/summary', { method: 'POST' })).status).toBe(405);
    expect((await call(deps, '/clusters/%E0%A4%A')).status).toBe(400);
  });

  it('ROUTES gives every route an auth level: health and the data-free dashboard page anonymous, POST /scans admin, the rest behind the function key', () => {
    expect(ROUTES.find((x) => x.method === 'POST' && x.route === 'scans')?.authLevel).toBe('admin');
    expect(ROUTES.filter((x) => x.authLevel === 'anonymous').map((x) => x.route)).toEqual(['health', 'dashboard']);
    expect(ROUTES.filter((x) => x.authLevel === 'function').map((x) => x.route)).toEqual(
      expect.arrayContaining(['openapi.json', 'fleet/matrix', 'fleet/trend', 'clusters/{subscriptionId}/{resourceGroup}/{name}/nodes/{node}']),
    );
    expect(new Set(ROUTES.map((x) => `${x.method} ${x.route}`)).size).toBe(ROUTES.length);
  });
});

describe('OData injection', () => {
  const INJECTIONS = [
    "' or PartitionKey ne '",
    "') or true or ('",
    "x' or '1' eq '1",
    "rg-prod' or resourceGroupLc ne 'x",
    '%27 or 1 eq 1',
    'rg-prod)or(true',
    "aks-1.8' or benchmark ne '",
  ];

  it('never widens a result, in any filter or path segment', async () => {
    const params = ['subscription', 'resourceGroup', 'benchmark', 'tag', 'disposition'];
    for (const route of ['/summary', '/clusters']) {
      for (const p of params) {
        for (const inj of INJECTIONS) {
          const r = await call(deps, `${route}?${p}=${encodeURIComponent(inj)}`);
          if (r.status === 200) {
            const total = route === '/summary' ? (r.json as FleetSummary).clusters.total : (r.json as ClusterList).total;
            expect(total, `${route} ${p}=${inj}`).toBe(0);
          } else {
            expect(r.status, `${route} ${p}=${inj}`).toBe(400);
            expect((r.json as { error: { message: string } }).error.message, `${route} ${p}=${inj}`).toContain(`"${p}"`);
          }
        }
      }
    }
    for (const inj of INJECTIONS) {
      const e = encodeURIComponent(inj);
      for (const p of [
        `/clusters/${e}/rg-prod/aks-prod-1`,
        `/clusters/${SUB_A}/${e}/aks-prod-1`,
        `/clusters/${SUB_A}/rg-prod/${e}`,
        `/clusters/${SUB_A}/rg-prod/${e}/history`,
        `/checks/${e}`,
        `/scans/${e}`,
        `/checks/3.2.4?benchmark=${e}`,
      ]) {
        const r = await call(deps, p);
        expect([400, 404], p).toContain(r.status);
      }
      const r = await call(deps, `${path(byName('aks-prod-1'))}?scan=${e}`);
      expect([400, 404]).toContain(r.status);
    }
  });

  it('a parenthesis a resource group may legally hold reaches the store quoted and matches nothing', async () => {
    const r = await call(deps, '/clusters?resourceGroup=rg-prod)or(true');
    expect(r.status).toBe(200);
    expect((r.json as ClusterList).total).toBe(0);
  });
});

describe('errors of the store', () => {
  it('become 503 without the connection string or the account key', async () => {
    const { createStore } = await import('../../src/store/store.js');
    const target = az.target();
    // A store whose table endpoint is a closed port: a real transport failure, not a mock.
    const value =
      target.kind === 'connection-string' ? target.value.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9') : '';
    expect(value).toContain('127.0.0.1:9');
    const broken = createStore({ kind: 'connection-string', value }, { timeoutMs: 2000, listTimeoutMs: 2000, retry: { maxRetries: 0 } });
    const d = depsFor(broken);
    for (const p of ['/summary', '/clusters', `/clusters/${SUB_A}/rg-prod/aks-prod-1`, '/scans', '/checks/kubelet.read-only-port']) {
      const r = await call(d, p);
      expect(r.status, p).toBe(503);
      expect(r.headers['retry-after']).toBe('30');
      expect((r.json as { error: { code: string } }).error.code).toBe('StoreUnavailable');
      for (const secret of ['AccountKey', 'Eby8vdM02x', 'DefaultEndpointsProtocol', 'devstoreaccount1']) expect(r.text, p).not.toContain(secret);
    }
  });

  it('an empty fleet summarises to zeros with no last scan', async () => {
    const empty = depsFor(await az.store());
    const s = (await call(empty, '/summary')).json as FleetSummary;
    expect(s.clusters.total).toBe(0);
    expect(s.lastScan).toBeNull();
    expect(s.topFailing).toEqual([]);
    expect(((await call(empty, '/clusters')).json as ClusterList).items).toEqual([]);
  });
});
