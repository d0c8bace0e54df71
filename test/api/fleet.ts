/**
 * A small fleet seeded into the real store: two subscriptions, five clusters, every outcome, a stale
 * cluster, a cluster whose latest attempt was skipped after an earlier scan, and checks of every
 * kind of triage. aks-1.8 nodes are kube-bench JSON from the simulator's generator (from the vendored
 * controls files), parsed by the product's own parser; a cis-1.10 node is built by hand because
 * only the AKS benchmarks' controls are vendored.
 */
import { generateKubeBenchReport } from '../../src/simulator/index.js';
import { normaliseKubeBench } from '../../src/parse/json.js';
import { classifyUnversioned } from '../../src/pipeline/classify.js';
import { makeCheck } from '../fixtures/checks.js';
import { cluster } from '../fixtures/clusters.js';
import type { ClusterRef, ClusterScan, ScannedNode } from '../../src/model/cluster.js';
import { countTotals, type CheckResult, type CheckStatus } from '../../src/model/result.js';
import type { Classifier } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import type { ApiDeps, ApiRequest, ApiResponse } from '../../src/api/index.js';
import { handleApiRequest } from '../../src/api/index.js';

export const NOW = new Date('2026-11-26T12:00:00.000Z');
export const PERIOD_MS = 24 * 3600_000;
export const SUB_A = 'aaaaaaaa-0000-4000-8000-000000000001';
export const SUB_B = 'bbbbbbbb-0000-4000-8000-000000000002';

/** The product's classifier: the knowledge base's triage of each check. */
export const classify: Classifier = classifyUnversioned;

export function ref(sub: string, rg: string, name: string): ClusterRef {
  return cluster({
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    subscriptionId: sub,
    resourceGroup: rg,
    name,
    pools: [],
    aadManaged: true,
    azureRbac: true,
    tags: { env: rg.includes('prod') ? 'prod' : 'dev', ...(name === 'aks-prod-1' ? { Owner: 'team=platform' } : {}) },
  });
}

function check(id: string, benchmark: string, title: string, status: CheckStatus, nodeType = 'node'): CheckResult {
  return makeCheck(id, title, status, { benchmark, nodeType });
}

/** An aks-1.8 node from generated kube-bench JSON; `extra` checks are appended (e.g. a policies check). */
export function aksNode(name: string, pool: string, failing: string[], extra: CheckResult[] = []): ScannedNode {
  const parsed = normaliseKubeBench(generateKubeBenchReport('aks-1.8', new Set(failing)), `node ${name}`, { node: name, pool });
  const checks = [...parsed.checks.map((c) => ({ ...c, benchmark: c.benchmark ?? 'aks-1.8' })), ...extra];
  return { name, pool, benchmark: 'aks-1.8', totals: countTotals(checks), checks, warnings: [] };
}

/** A policies check the knowledge base calls "environment" (pods.privileged, aks-1.8 4.2.1). */
export const PRIVILEGED_FAIL = check('4.2.1', 'aks-1.8', 'Minimize the admission of privileged containers', 'FAIL', 'policies');

/** A cis-1.10 node: 4.2.11 (RotateKubeletServerCertificate, an action there), a check nobody knows, one PASS. */
export function cisNode(name: string, pool: string): ScannedNode {
  const checks = [
    check('4.2.11', 'cis-1.10', 'Verify that the RotateKubeletServerCertificate argument is set to true', 'FAIL'),
    check('4.9.99', 'cis-1.10', 'Ensure that a setting no knowledge base knows is set', 'FAIL'),
    check('4.2.1', 'cis-1.10', 'Ensure that the --anonymous-auth argument is set to false', 'PASS'),
  ];
  return { name, pool, benchmark: 'cis-1.10', totals: countTotals(checks), checks, warnings: [] };
}

function at(iso: string, plusMs = 0): string {
  return new Date(Date.parse(iso) + plusMs).toISOString();
}

export interface SeededScan {
  scan: ClusterScan;
  runId: string;
  scanId: string;
}

export interface SeededCluster {
  ref: ClusterRef;
  /** Oldest first. */
  attempts: SeededScan[];
}

function scannedAttempt(r: ClusterRef, benchmark: string, nodes: ScannedNode[], startedAt: string, runId: string, scanId: string): SeededScan {
  return {
    runId,
    scanId,
    scan: { cluster: r, benchmark, outcome: { kind: 'scanned', nodes, nodeFailures: [] }, startedAt, finishedAt: at(startedAt, 120_000) },
  };
}

export function fleetSpec(): SeededCluster[] {
  const prod1 = ref(SUB_A, 'rg-prod', 'aks-prod-1');
  const prod2 = ref(SUB_A, 'rg-prod', 'aks-prod-2');
  const dev1 = ref(SUB_A, 'rg-dev', 'aks-dev-1');
  const b1 = ref(SUB_B, 'rg-b', 'aks-b-1');
  const bOld = ref(SUB_B, 'rg-b', 'aks-b-old');
  return [
    {
      ref: prod1,
      attempts: [
        scannedAttempt(
          prod1,
          'aks-1.8',
          [
            aksNode('aks-system-0', 'system', ['3.2.4', '3.2.9'], [PRIVILEGED_FAIL]),
            aksNode('aks-system-1', 'system', ['3.2.4', '3.2.9'], [PRIVILEGED_FAIL]),
            aksNode('aks-user-0', 'user', ['3.2.4', '3.2.9']),
          ],
          '2026-11-26T02:00:00.000Z',
          'run-2',
          'scan-prod1-2',
        ),
      ],
    },
    { ref: prod2, attempts: [scannedAttempt(prod2, 'cis-1.10', [cisNode('cis-pool-0', 'pool')], '2026-11-26T02:10:00.000Z', 'run-2', 'scan-prod2-2')] },
    {
      ref: dev1,
      attempts: [
        scannedAttempt(dev1, 'aks-1.8', [aksNode('aks-dev-0', 'nodepool1', ['3.2.4'])], '2026-11-20T02:00:00.000Z', 'run-1', 'scan-dev1-1'),
        {
          runId: 'run-2',
          scanId: 'scan-dev1-2',
          scan: {
            cluster: dev1,
            benchmark: null,
            outcome: { kind: 'skipped', reason: 'stopped', detail: 'powerState is Stopped' },
            startedAt: '2026-11-26T02:00:00.000Z',
            finishedAt: '2026-11-26T02:00:01.000Z',
          },
        },
      ],
    },
    {
      ref: b1,
      attempts: [
        {
          runId: 'run-2',
          scanId: 'scan-b1-2',
          scan: {
            cluster: b1,
            benchmark: 'aks-1.8',
            outcome: { kind: 'failed', reason: 'timeout', detail: 'run-command did not finish in 900 s' },
            startedAt: '2026-11-26T02:05:00.000Z',
            finishedAt: '2026-11-26T02:20:00.000Z',
          },
        },
      ],
    },
    {
      ref: bOld,
      attempts: [
        scannedAttempt(
          bOld,
          'aks-1.8',
          [aksNode('aks-old-0', 'np', ['3.2.4', '3.2.7']), aksNode('aks-old-1', 'np', ['3.2.4', '3.2.7'])],
          '2026-11-20T03:00:00.000Z',
          'run-1',
          'scan-bold-1',
        ),
      ],
    },
  ];
}

export async function seedFleet(store: Store): Promise<SeededCluster[]> {
  const spec = fleetSpec();
  await store.startRun({ runId: 'run-1', trigger: 'timer', startedAt: '2026-11-20T02:00:00.000Z', queued: 2 });
  await store.startRun({ runId: 'run-2', trigger: 'timer', startedAt: '2026-11-26T02:00:00.000Z', queued: 5 });
  for (const c of spec) {
    for (const a of c.attempts) {
      await store.saveClusterScan(a.scan, { runId: a.runId, scanId: a.scanId }, classify);
      await store.recordClusterDone(a.runId, c.ref.id, a.scan.outcome.kind);
    }
  }
  return spec;
}

/** The latest attempt of a cluster, and the latest attempt that scanned (its results). */
export function latestOf(c: SeededCluster): { latest: SeededScan; results: SeededScan | null } {
  const latest = c.attempts[c.attempts.length - 1] as SeededScan;
  const results = [...c.attempts].reverse().find((a) => a.scan.outcome.kind === 'scanned') ?? null;
  return { latest, results };
}

// ---- calling the API -----------------------------------------------------------------------

export interface Call {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON, or undefined for other content. */
  json: unknown;
}

export function depsFor(store: Store, requested: (string[] | null)[] = []): ApiDeps {
  let n = 0;
  return {
    store,
    now: () => NOW,
    schedulePeriodMs: PERIOD_MS,
    requestScan: async (ids) => {
      requested.push(ids);
      n++;
      // Like selectClusters: ids of the seeded fleet are queued, others reported missing.
      const known = new Set(fleetSpec().map((c) => c.ref.id.toLowerCase()));
      const missing = (ids ?? []).filter((id) => !known.has(id.toLowerCase()));
      return { runId: `http-run-${n}`, queued: ids ? ids.length - missing.length : 5, missing };
    },
  };
}

/** Calls the handler with a path such as "/clusters?top=2" (after /api). */
export async function call(deps: ApiDeps, pathAndQuery: string, opts: Call = {}): Promise<Answer> {
  const u = new URL(pathAndQuery, 'http://127.0.0.1/');
  const req: ApiRequest = {
    method: opts.method ?? 'GET',
    path: u.pathname,
    query: u.searchParams,
    headers: opts.headers ?? {},
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  };
  const res: ApiResponse = await handleApiRequest(req, deps);
  let parsed: unknown;
  if ((res.headers['content-type'] ?? '').startsWith('application/json')) parsed = JSON.parse(res.body);
  return { status: res.status, headers: res.headers, text: res.body, json: parsed };
}
