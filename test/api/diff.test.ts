/**
 * GET /clusters/{sub}/{rg}/{name}/diff over the real store: the last two scans by default, any two
 * scans of the cluster by id, JSON and CSV, and 404s that name the unknown scan.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/index.js';
import type { ClusterScan } from '../../src/model/cluster.js';
import type { Store } from '../../src/store/store.js';
import { makeCheck } from '../fixtures/checks.js';
import { useAzurite } from '../support/azurite.js';
import { aksNode, call, classify, depsFor, ref, seedFleet, SUB_A } from './fleet.js';

const az = useAzurite();

let store: Store;
let deps: ApiDeps;
const cl = ref(SUB_A, 'rg-diff', 'aks-diff');
const path = `/clusters/${SUB_A}/rg-diff/aks-diff/diff`;
const WARN_PRIVILEGED = makeCheck('4.2.1', 'Minimize the admission of privileged containers', 'WARN', { nodeType: 'policies' });

function scanned(failing: string[], startedAt: string, extra = [] as ReturnType<typeof makeCheck>[]): ClusterScan {
  return {
    cluster: cl,
    benchmark: 'aks-1.8',
    outcome: { kind: 'scanned', nodes: [aksNode('aks-system-0', 'system', failing, extra)], nodeFailures: [] },
    startedAt,
    finishedAt: startedAt.replace('T02:00', 'T02:02'),
  };
}

beforeAll(async () => {
  store = await az.store();
  await seedFleet(store);
  deps = depsFor(store);
  const scans: [string, ClusterScan][] = [
    ['d-1', scanned(['3.2.4', '3.2.7'], '2026-11-24T02:00:00.000Z')],
    ['d-2', scanned(['3.2.4', '3.2.9'], '2026-11-25T02:00:00.000Z', [WARN_PRIVILEGED])],
    [
      'd-3',
      {
        cluster: cl,
        benchmark: 'aks-1.8',
        outcome: { kind: 'failed', reason: 'timeout', detail: 'run-command did not finish' },
        startedAt: '2026-11-26T02:00:00.000Z',
        finishedAt: '2026-11-26T02:15:00.000Z',
      },
    ],
  ];
  for (const [scanId, scan] of scans) await store.saveClusterScan(scan, { runId: `run-${scanId}`, scanId }, classify);
});

interface Diff {
  clusterId: string;
  from: { scanId: string; outcome: string } | null;
  to: { scanId: string; outcome: string };
  baseline: boolean;
  newFailures: { id: string; pool: string; topic: string | null; before: string | null; after: string | null; failingNodes: string[] }[];
  fixed: { id: string }[];
  stillFailing: { id: string }[];
  newWarnings: { id: string }[];
  coverageAdded: unknown[];
  outcomeChange: { before: string | null; after: string } | null;
}

const message = (a: { json: unknown }): string => (a.json as { error: { message: string } }).error.message;
const ids = (xs: { id: string }[]): string[] => xs.map((x) => x.id).sort();

describe('GET /clusters/{sub}/{rg}/{name}/diff', () => {
  it('defaults to the last two scans: the latest attempt failed, so nothing is new or fixed and the outcome change says so', async () => {
    const r = await call(deps, path);
    expect(r.status).toBe(200);
    const d = r.json as Diff;
    expect(d.clusterId).toBe(cl.id);
    expect(d.from?.scanId).toBe('d-2');
    expect(d.to).toMatchObject({ scanId: 'd-3', outcome: 'failed' });
    expect(d.outcomeChange).toEqual({ before: 'scanned', after: 'failed' });
    expect([d.newFailures, d.fixed, d.stillFailing, d.newWarnings]).toEqual([[], [], [], []]);
  });

  it('to= alone diffs against the attempt before it: new FAIL, fixed, still failing, new WARN, keyed by pool and topic', async () => {
    const d = (await call(deps, `${path}?to=d-2`)).json as Diff;
    expect(d.from?.scanId).toBe('d-1');
    expect(d.baseline).toBe(true);
    expect(d.outcomeChange).toBeNull();
    expect(ids(d.newFailures)).toEqual(['3.2.9']);
    expect(ids(d.fixed)).toEqual(['3.2.7']);
    expect(ids(d.stillFailing)).toEqual(['3.2.4']);
    expect(ids(d.newWarnings)).toEqual(['4.2.1']);
    expect(d.coverageAdded).toEqual([]);
    const n = d.newFailures[0];
    expect(n).toMatchObject({ pool: 'system', before: 'PASS', after: 'FAIL', failingNodes: ['aks-system-0'] });
    expect(n?.topic).toMatch(/^kubelet\./);
  });

  it('from and to in either order; the same scan twice is refused', async () => {
    const back = (await call(deps, `${path}?from=d-2&to=d-1`)).json as Diff;
    expect(ids(back.newFailures)).toEqual(['3.2.7']);
    expect(ids(back.fixed)).toEqual(['3.2.9']);
    const same = await call(deps, `${path}?from=d-1&to=d-1`);
    expect(same.status).toBe(400);
    expect(message(same)).toContain('same scan "d-1"');
  });

  it('a cluster with a scan before it and none after: the first scan has no baseline', async () => {
    const d = (await call(deps, `${path}?to=d-1`)).json as Diff;
    expect(d.from).toBeNull();
    expect(d.baseline).toBe(false);
    expect(d.outcomeChange).toEqual({ before: null, after: 'scanned' });
    expect(ids(d.newFailures)).toEqual(['3.2.4', '3.2.7']);
  });

  it('CSV: one row per change, same rows as the JSON, cells neutralised', async () => {
    const r = await call(deps, `${path}?from=d-1&to=d-2&format=csv`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('change,pool,topic,benchmark,checkId,title,disposition,before,after,failingNodes');
    const changes = lines.slice(1).map((l) => `${l.split(',')[0]} ${l.split(',')[4]}`);
    expect(changes.sort()).toEqual(['fixed 3.2.7', 'newFailures 3.2.9', 'newWarnings 4.2.1', 'stillFailing 3.2.4']);
    const viaAccept = await call(deps, `${path}?from=d-1&to=d-2`, { headers: { accept: 'text/csv' } });
    expect(viaAccept.text).toBe(r.text);
  });

  it('after a failed attempt the defaults compare with it: no baseline, every FAIL new, and the answer says so', async () => {
    const newer = scanned(['3.2.4', '3.2.9', '3.2.7'], '2026-11-27T02:00:00.000Z');
    await store.saveClusterScan(newer, { runId: 'run-d-4', scanId: 'd-4' }, classify);
    const d = (await call(deps, path)).json as Diff;
    expect([d.from?.scanId, d.to.scanId]).toEqual(['d-3', 'd-4']);
    // d-3 failed: no baseline, every FAIL of d-4 is listed as new, and the answer says so.
    expect(d.baseline).toBe(false);
    expect(d.outcomeChange).toEqual({ before: 'failed', after: 'scanned' });
    expect(ids(d.newFailures)).toEqual(['3.2.4', '3.2.7', '3.2.9']);
  });

  it('an unknown scan id, or one of another cluster, is 404 naming the id; an unknown cluster is 404', async () => {
    const unknown = await call(deps, `${path}?from=no-such-scan`);
    expect(unknown.status).toBe(404);
    expect(message(unknown)).toMatch(/^query parameter "from": scan "no-such-scan" is not a scan of cluster "aks-diff"/);
    // scan-prod1-2 exists, but is a scan of aks-prod-1.
    const other = await call(deps, `${path}?to=scan-prod1-2`);
    expect(other.status).toBe(404);
    expect(message(other)).toContain('"to": scan "scan-prod1-2"');
    expect((await call(deps, `/clusters/${SUB_A}/rg-diff/nope/diff`)).status).toBe(404);
    const bad = await call(deps, `${path}?from=../x`);
    expect(bad.status).toBe(400);
    expect(message(bad)).toContain('"from"');
  });
});
