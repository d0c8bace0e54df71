/**
 * The real @azure/arm-containerservice and @azure/arm-resources-subscriptions clients against the
 * simulator over HTTPS: paging, get, run-command through the SDK poller, ARM errors as RestError,
 * faults and throttling.
 */
import type { ManagedCluster } from '@azure/arm-containerservice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanEnvelopes } from '../../src/model/envelope.js';
import type { KubeBenchJsonReport } from '../../src/model/kube-bench.js';
import type { ScanEnv } from '../../src/scan/incluster/contract.js';
import { formatScanEnv, RUN_COMMAND, zipContext } from '../../src/scan/incluster/contract.js';
import type { FleetInput, RunningSimulator } from '../../src/simulator/index.js';
import {
  CONTAINER_SERVICE_API_VERSIONS,
  failingChecks,
  parseFleetSpec,
  RUN_COMMAND_OUTPUT_LIMIT,
  startArmSimulator,
  SUBSCRIPTIONS_API_VERSIONS,
} from '../../src/simulator/index.js';
import { csClient, errorOf, raw, subClient } from './helpers.js';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const SUB_C = '33333333-3333-4333-8333-333333333333';
const SUB_D = '44444444-4444-4444-8444-444444444444';
const SUB_NONE = '99999999-9999-4999-8999-999999999999';

type ClusterIn = FleetInput['clusters'][number];
const linux = (extra: Partial<ClusterIn> = {}): Omit<ClusterIn, 'name'> => ({
  subscriptionId: SUB_A,
  resourceGroup: 'rg-one',
  kubernetesVersion: '1.32.4',
  pools: [
    { name: 'system', mode: 'System', count: 3 },
    { name: 'apps', count: 5, notReady: 1, profile: 'drifted' },
    { name: 'win', osType: 'Windows', count: 2 },
  ],
  ...extra,
});

const FLEET = parseFleetSpec(
  {
    subscriptions: [
      { subscriptionId: SUB_A, displayName: 'A' },
      { subscriptionId: SUB_B, displayName: 'B' },
      { subscriptionId: SUB_C, displayName: 'C' },
      { subscriptionId: SUB_D, displayName: 'D' },
    ],
    clusters: [
      { name: 'plain', ...linux({ tags: { team: 'web' } }) },
      { name: 'private', ...linux({ private: true }) },
      { name: 'aad', ...linux({ aad: { managed: true, enableAzureRbac: true, adminGroupObjectIDs: ['g1'] } }) },
      { name: 'stopped', ...linux({ powerState: 'Stopped' }) },
      { name: 'nocmd', ...linux({ runCommandDisabled: true }) },
      { name: 'deleted', ...linux({ faults: [{ kind: 'deleted' }] }) },
      { name: 'forbidden', ...linux({ faults: [{ kind: 'forbidden', operation: 'ManagedClusters_RunCommand' }] }) },
      { name: 'perf', ...linux({ faults: [{ kind: 'not-started' }] }) },
      { name: 'imagepull', ...linux({ faults: [{ kind: 'command-failed', reason: 'ImagePullBackoff' }] }) },
      { name: 'exit', ...linux({ faults: [{ kind: 'exit-code', exitCode: 2 }] }) },
      { name: 'garbage', ...linux({ faults: [{ kind: 'garbage-logs' }] }) },
      { name: 'oversize', ...linux({ faults: [{ kind: 'oversize-logs' }] }) },
      { name: 'cut', ...linux({ faults: [{ kind: 'truncated-logs', at: 0.5 }] }) },
      { name: 'flaky', ...linux({ faults: [{ kind: 'throttle', operation: 'ManagedClusters_RunCommand', times: 1 }] }) },
      { name: 'resetpoll', ...linux({ faults: [{ kind: 'reset', operation: 'ManagedClusters_GetCommandResult', times: 1 }] }) },
      { name: 'busy', ...linux({ faults: [{ kind: 'server-error', status: 503, operation: 'ManagedClusters_Get', times: 2 }] }) },
      {
        name: 'denied',
        ...linux({
          pools: [
            { name: 'system', mode: 'System', count: 2 },
            {
              name: 'apps',
              count: 3,
              nodeStatus: {
                status: 'admission-denied',
                nodes: 1,
                reason: 'admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-x] no hostPID',
              },
            },
          ],
        }),
      },
      ...['p1', 'p2', 'p3', 'p4', 'p5'].map((name) => ({ name, ...linux({ resourceGroup: 'rg-two' }) })),
      { name: 'b1', ...linux({ subscriptionId: SUB_B, resourceGroup: 'rg-b' }) },
    ],
  },
  'test fleet',
);
const IN_A = FLEET.clusters.filter((c) => c.subscriptionId === SUB_A);

function context(env: Partial<ScanEnv> = {}): string {
  return zipContext({
    'scan.env': formatScanEnv({
      scanId: 'test1',
      benchmark: 'aks-1.8',
      namespace: 'aks-fleet-scanner',
      image: 'docker.io/aquasec/kube-bench:v0.15.6',
      selection: 'per-pool',
      pools: ['system', 'apps', 'win'],
      batchIndex: 0,
      batchSize: 10,
      jobTimeoutSeconds: 240,
      ...env,
    }),
  });
}

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startArmSimulator({ fleet: FLEET, pageSize: 3, commandDurationMs: 20, commandJitterMs: 10, retryAfterSeconds: 0, seed: 42 });
});
afterAll(async () => {
  await sim.stop();
});

const requestsSince = (n: number): typeof sim.requests => sim.requests.slice(n);

describe('listing and reading', () => {
  it('lists subscriptions across pages with the SubscriptionClient', async () => {
    const before = sim.requests.length;
    const ids: string[] = [];
    for await (const s of subClient(sim).subscriptions.list()) ids.push(s.subscriptionId ?? '');
    expect(ids.sort()).toEqual([SUB_A, SUB_B, SUB_C, SUB_D]);
    const calls = requestsSince(before).filter((r) => r.operation === 'Subscriptions_List');
    expect(calls).toHaveLength(2);
    expect(calls.every((r) => r.status === 200 && r.apiVersion === '2022-12-01')).toBe(true);
  });

  it('lists every cluster of a subscription by following nextLink', async () => {
    const before = sim.requests.length;
    const names: string[] = [];
    for await (const c of csClient(sim, SUB_A).managedClusters.list()) names.push(c.name ?? '');
    expect(names.sort()).toEqual(IN_A.map((c) => c.name).sort());
    const pages = requestsSince(before).filter((r) => r.operation === 'ManagedClusters_List');
    expect(pages).toHaveLength(Math.ceil(IN_A.length / 3));
    // @azure/arm-containerservice 25.3.0 sends 2026-04-01 unless told otherwise.
    expect(new Set(pages.map((r) => r.apiVersion))).toEqual(new Set(['2026-04-01']));
  });

  it('lists by resource group, matching the group name case-insensitively', async () => {
    const names: string[] = [];
    for await (const c of csClient(sim, SUB_A).managedClusters.listByResourceGroup('RG-TWO')) names.push(c.name ?? '');
    expect(names.sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('serves list bodies with the fields of the ManagedClustersList example and the scanner', async () => {
    const all = new Map<string, ManagedCluster>();
    for await (const c of csClient(sim, SUB_A).managedClusters.list()) all.set(c.name ?? '', c);
    const plain = all.get('plain')!;
    expect(plain.id).toBe(`/subscriptions/${SUB_A}/resourcegroups/rg-one/providers/Microsoft.ContainerService/managedClusters/plain`);
    expect(plain.type).toBe('Microsoft.ContainerService/ManagedClusters');
    expect(plain.tags).toEqual({ team: 'web' });
    expect(plain.provisioningState).toBe('Succeeded');
    expect(plain.powerState?.code).toBe('Running');
    expect(plain.kubernetesVersion).toBe('1.32.4');
    expect(plain.fqdn).toMatch(/\.hcp\.eastus\.azmk8s\.io$/);
    expect(plain.apiServerAccessProfile).toMatchObject({ enablePrivateCluster: false, disableRunCommand: false });
    expect(plain.agentPoolProfiles?.map((p) => [p.name, p.mode, p.osType, p.count])).toEqual([
      ['system', 'System', 'Linux', 3],
      ['apps', 'User', 'Linux', 5],
      ['win', 'User', 'Windows', 2],
    ]);
    expect(plain.agentPoolProfiles?.[0]?.nodeImageVersion).toMatch(/^AKSUbuntu-2204gen2containerd-/);
    expect(plain.agentPoolProfiles?.[0]?.orchestratorVersion).toBe('1.32.4');
    expect(plain.aadProfile).toBeUndefined();
    expect(all.get('aad')!.aadProfile).toMatchObject({ managed: true, enableAzureRbac: true, adminGroupObjectIDs: ['g1'] });
    expect(all.get('private')!.privateFqdn).toMatch(/privatelink/);
    expect(all.get('private')!.fqdn).toBeUndefined();
    expect(all.get('stopped')!.powerState?.code).toBe('Stopped');
    expect(all.get('nocmd')!.apiServerAccessProfile?.disableRunCommand).toBe(true);
    expect(all.has('deleted')).toBe(true);
  });

  it('gets one cluster with the Get example shape, and ARM paths are case-insensitive', async () => {
    const c = await csClient(sim, SUB_A).managedClusters.get('rg-one', 'plain');
    expect(c.id).toBe(`/subscriptions/${SUB_A}/resourceGroups/rg-one/providers/Microsoft.ContainerService/managedClusters/plain`);
    expect(c.type).toBe('Microsoft.ContainerService/managedClusters');
    expect(c.identity?.type).toBe('SystemAssigned');
    const r = await raw(
      sim,
      'GET',
      `/SUBSCRIPTIONS/${SUB_A}/RESOURCEGROUPS/RG-ONE/PROVIDERS/microsoft.containerservice/MANAGEDCLUSTERS/Plain?api-version=2026-06-01`,
    );
    expect(r.status).toBe(200);
    expect((r.body as { name: string }).name).toBe('plain');
  });

  it('queries Resource Graph with $skipToken paging', async () => {
    const rows: { name: string; type: string; subscriptionId: string }[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await raw(sim, 'POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01', {
        body: {
          subscriptions: [SUB_A, SUB_B],
          query: "resources | where type =~ 'microsoft.containerservice/managedclusters'",
          options: token ? { $skipToken: token } : {},
        },
      });
      expect(r.status).toBe(200);
      const b = r.body as { totalRecords: number; count: number; data: typeof rows; $skipToken?: string };
      expect(b.totalRecords).toBe(IN_A.length + 1);
      expect(b.count).toBe(b.data.length);
      rows.push(...b.data);
      token = b.$skipToken;
      pages++;
    } while (token);
    expect(pages).toBe(Math.ceil((IN_A.length + 1) / 3));
    expect(rows.map((r) => r.name).sort()).toEqual([...IN_A.map((c) => c.name), 'b1'].sort());
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['microsoft.containerservice/managedclusters']));
  });
});

describe('ARM errors reach the SDK as RestError with status and code', () => {
  const expectError = async (p: Promise<unknown>, statusCode: number, code: string): Promise<string> => {
    const e = await p.then(
      () => null,
      (x: unknown) => x,
    );
    expect(e, `expected ${statusCode} ${code}`).not.toBeNull();
    const got = errorOf(e);
    expect({ statusCode: got.statusCode, code: got.code }).toEqual({ statusCode, code });
    return got.message;
  };

  it('404 ResourceNotFound, ResourceGroupNotFound, SubscriptionNotFound', async () => {
    const cs = csClient(sim, SUB_A);
    const m = await expectError(cs.managedClusters.get('rg-one', 'nope'), 404, 'ResourceNotFound');
    expect(m).toContain("managedClusters/nope' under resource group 'rg-one' was not found");
    await expectError(cs.managedClusters.get('rg-nope', 'plain'), 404, 'ResourceGroupNotFound');
    const none = csClient(sim, SUB_NONE);
    await expectError(none.managedClusters.list().next(), 404, 'SubscriptionNotFound');
  });

  it('serves every stable managedClusters api-version from 2022 on to the SDK pinned to it: list, get, runCommand and its result', async () => {
    for (const v of ['2022-01-01', '2023-11-01', '2024-10-01', '2025-05-01', ...CONTAINER_SERVICE_API_VERSIONS.slice(-3)]) {
      const before = sim.requests.length;
      const cs = csClient(sim, SUB_A, { apiVersion: v });
      const names: string[] = [];
      for await (const c of cs.managedClusters.list()) names.push(c.name ?? '');
      expect(names.sort(), v).toEqual(IN_A.map((c) => c.name).sort());
      expect((await cs.managedClusters.get('rg-one', 'plain')).name, v).toBe('plain');
      const result = await cs.managedClusters
        .runCommand('rg-one', 'plain', { command: RUN_COMMAND, context: context() }, { updateIntervalInMs: 5 })
        .pollUntilDone();
      expect(result.provisioningState?.toLowerCase(), v).toBe('succeeded');
      // Every request, the result polls that follow the Location header included, carried the pinned version.
      const sent = requestsSince(before);
      expect(new Set(sent.map((r) => r.apiVersion)), v).toEqual(new Set([v]));
      expect(
        sent.some((r) => r.operation === 'ManagedClusters_GetCommandResult'),
        v,
      ).toBe(true);
    }
    expect(CONTAINER_SERVICE_API_VERSIONS.filter((v) => v < '2022-01-01' || v.includes('preview'))).toEqual([]);
  });

  it('400 NoRegisteredProviderFound for a managedClusters version ARM does not serve, as ARM words it', async () => {
    for (const v of ['2019-01-01', '2022-05-01', '2025-10-02-preview', 'latest']) {
      const m = await expectError(csClient(sim, SUB_A, { apiVersion: v }).managedClusters.get('rg-one', 'plain'), 400, 'NoRegisteredProviderFound');
      expect(m, v).toBe(
        `No registered resource provider found for location 'eastus' and API version '${v}' for type 'managedClusters'. The supported api-versions are '${CONTAINER_SERVICE_API_VERSIONS.join(', ')}'.`,
      );
    }
  });

  it("the Azure CLI's raw REST calls: az aks list / show / command invoke, az account list, az graph query, each at its own version", async () => {
    const base = `/subscriptions/${SUB_A}/resourceGroups/rg-one/providers/Microsoft.ContainerService/managedClusters`;
    const list = await raw(sim, 'GET', `/subscriptions/${SUB_A}/providers/Microsoft.ContainerService/managedClusters?api-version=2025-08-01`);
    expect(list.status).toBe(200);
    expect((list.body as { value: { name: string }[] }).value.length).toBeGreaterThan(0);
    const show = await raw(sim, 'GET', `${base}/plain?api-version=2024-09-01`);
    expect(show).toMatchObject({ status: 200, body: { name: 'plain', properties: { provisioningState: 'Succeeded' } } });
    const post = await raw(sim, 'POST', `${base}/plain/runCommand?api-version=2023-08-01`, { body: { command: RUN_COMMAND, context: context() } });
    expect(post.status).toBe(202);
    const location = String(post.headers['location']);
    expect(new URL(location).searchParams.get('api-version')).toBe('2023-08-01');
    expect((await raw(sim, 'GET', new URL(location).pathname + new URL(location).search)).status).toBeLessThan(300);
    expect((await raw(sim, 'GET', `/subscriptions?api-version=2019-06-01`)).status).toBe(200);
    const graph = await raw(sim, 'POST', `/providers/Microsoft.ResourceGraph/resources?api-version=2019-04-01`, {
      body: { subscriptions: [SUB_A], query: "Resources | where type =~ 'Microsoft.ContainerService/managedClusters'" },
    });
    expect(graph.status).toBe(200);
    // ARM's own types refuse an unknown version with InvalidApiVersionParameter, listing what they accept.
    const sub = await raw(sim, 'GET', `/subscriptions?api-version=2015-01-01`);
    expect(sub).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'InvalidApiVersionParameter',
          message: `The api-version '2015-01-01' is invalid. The supported versions for resource type 'subscriptions' are '${SUBSCRIPTIONS_API_VERSIONS.join(',')}'.`,
        },
      },
    });
  });

  it('400 MissingApiVersionParameter, 404 for paths ARM would not route here, 405 for a wrong method', async () => {
    const noVersion = await raw(sim, 'GET', `/subscriptions/${SUB_A}/providers/Microsoft.ContainerService/managedClusters`);
    expect(noVersion).toMatchObject({ status: 400, body: { error: { code: 'MissingApiVersionParameter' } } });
    expect((await raw(sim, 'GET', `/subscriptions/${SUB_A}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01`)).status).toBe(404);
    const wrong = await raw(
      sim,
      'DELETE',
      `/subscriptions/${SUB_A}/resourceGroups/rg-one/providers/Microsoft.ContainerService/managedClusters/plain?api-version=2026-04-01`,
    );
    expect(wrong.status).toBe(405);
    expect(sim.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      status: 405,
      path: `/subscriptions/${SUB_A}/resourceGroups/rg-one/providers/Microsoft.ContainerService/managedClusters/plain`,
    });
  });

  it('401 with an ARM error body when there is no bearer token', async () => {
    const r = await raw(sim, 'GET', `/subscriptions?api-version=2022-12-01`, { auth: false });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: 'AuthenticationFailed', message: expect.stringContaining('Authorization') } });
  });

  it('403 AuthorizationFailed on runCommand naming the action', async () => {
    const m = await expectError(
      csClient(sim, SUB_A).managedClusters.runCommand('rg-one', 'forbidden', { command: RUN_COMMAND, context: context() }).pollUntilDone(),
      403,
      'AuthorizationFailed',
    );
    expect(m).toContain('Microsoft.ContainerService/managedClusters/runCommand/action');
  });

  it('400 MissingAADClusterToken for a managed-AAD cluster without clusterToken; runs with one', async () => {
    const cs = csClient(sim, SUB_A);
    await expectError(
      cs.managedClusters.runCommand('rg-one', 'aad', { command: RUN_COMMAND, context: context() }).pollUntilDone(),
      400,
      'MissingAADClusterToken',
    );
    const r = await cs.managedClusters
      .runCommand('rg-one', 'aad', { command: RUN_COMMAND, context: context(), clusterToken: 'aks-token' }, { updateIntervalInMs: 5 })
      .pollUntilDone();
    expect(r.provisioningState).toBe('succeeded');
  });

  it('KubernetesPerformanceError at POST, with the real message', async () => {
    const m = await expectError(
      csClient(sim, SUB_A).managedClusters.runCommand('rg-one', 'perf', { command: RUN_COMMAND, context: context() }).pollUntilDone(),
      500,
      'KubernetesPerformanceError',
    );
    expect(m).toMatch(/container command-[0-9a-f]{32} in aks-command namespace did not start within 30s/);
  });

  it('stopped, run-command-disabled and deleted-after-listing clusters refuse runCommand', async () => {
    const cs = csClient(sim, SUB_A);
    await expectError(cs.managedClusters.runCommand('rg-one', 'stopped', { command: RUN_COMMAND }).pollUntilDone(), 409, 'OperationNotAllowed');
    await expectError(cs.managedClusters.runCommand('rg-one', 'nocmd', { command: RUN_COMMAND }).pollUntilDone(), 400, 'OperationNotAllowed');
    await expectError(cs.managedClusters.get('rg-one', 'deleted'), 404, 'ResourceNotFound');
    await expectError(cs.managedClusters.runCommand('rg-one', 'deleted', { command: RUN_COMMAND }).pollUntilDone(), 404, 'ResourceNotFound');
  });
});

describe('run-command', () => {
  const run = async (name: string, env: Partial<ScanEnv> = {}) =>
    csClient(sim, SUB_A)
      .managedClusters.runCommand('rg-one', name, { command: RUN_COMMAND, context: context(env) }, { updateIntervalInMs: 5 })
      .pollUntilDone();

  it('answers the POST with 202, an absolute Location on itself and Retry-After, never Azure-AsyncOperation', async () => {
    const path = `/subscriptions/${SUB_A}/resourceGroups/rg-one/providers/Microsoft.ContainerService/managedClusters/plain/runCommand?api-version=2026-04-01`;
    const r = await raw(sim, 'POST', path, { body: { command: RUN_COMMAND, context: context() } });
    expect(r.status).toBe(202);
    expect(r.headers['azure-asyncoperation']).toBeUndefined();
    expect(r.headers['retry-after']).toBe('0');
    const location = String(r.headers['location']);
    expect(location).toMatch(
      new RegExp(
        `^${sim.endpoint}/subscriptions/${SUB_A}/resourcegroups/rg-one/providers/Microsoft.ContainerService/managedClusters/plain/commandResults/[0-9a-f]{32}\\?api-version=2026-04-01$`,
      ),
    );
    let poll = await raw(sim, 'GET', location);
    for (let i = 0; poll.status === 202 && i < 100; i++) {
      expect(poll.headers['location']).toBe(location);
      await new Promise((res) => setTimeout(res, 10));
      poll = await raw(sim, 'GET', location);
    }
    expect(poll.status).toBe(200);
    const body = poll.body as { id: string; properties: Record<string, unknown> };
    expect(location).toContain(body.id);
    expect(Object.keys(body.properties).sort()).toEqual(['exitCode', 'finishedAt', 'logs', 'provisioningState', 'startedAt']);
    expect(body.properties['provisioningState']).toBe('succeeded');
    // Whole seconds as in ARM's examples; the simulator adds milliseconds when there are any (its commands run for under a second).
    expect(String(body.properties['startedAt'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  });

  it('runs per-pool through the SDK poller: the first Ready node of each Linux pool, one envelope each', async () => {
    const before = sim.requests.length;
    const r = await run('plain');
    expect(r.provisioningState).toBe('succeeded');
    expect(r.exitCode).toBe(0);
    const scan = scanEnvelopes(r.logs ?? '');
    const payloads = scan.records.filter((x) => x.kind === 'payload');
    // One node per node group, groups in name order.
    expect(payloads.map((p) => [p.meta.pool, p.meta.node])).toEqual([
      // apps has one NotReady node, vmss000000, so the script takes the next one.
      ['apps', expect.stringMatching(/^aks-apps-\d{8}-vmss000001$/)],
      ['system', expect.stringMatching(/^aks-system-\d{8}-vmss000000$/)],
    ]);
    const win = scan.records.find((x) => x.kind === 'status');
    expect(win).toMatchObject({ kind: 'status', status: { node: '-', pool: 'win', status: 'not-started' } });
    for (const p of payloads) {
      if (p.kind !== 'payload') continue;
      const report = JSON.parse(p.payload) as KubeBenchJsonReport;
      const pool = FLEET.clusters[0]!.pools.find((x) => x.name === p.meta.pool)!;
      const fails = report.Controls[0]!.tests!.flatMap((g) => g.results!)
        .filter((x) => x.status === 'FAIL')
        .map((x) => x.test_number);
      expect(new Set(fails)).toEqual(failingChecks(pool, 'aks-1.8'));
      expect(report.Controls[0]!.detected_version).toBe('1.32');
    }
    expect(scan.outside.join('\n')).toContain('[aksfs] created 2 Job(s) in namespace aks-fleet-scanner');
    const ops = requestsSince(before).map((x) => `${x.operation} ${x.status}`);
    expect(ops[0]).toBe('ManagedClusters_RunCommand 202');
    expect(ops.at(-1)).toBe('ManagedClusters_GetCommandResult 200');
  });

  it('runs selection "all" in batches: the slices of the Ready Linux nodes sorted by name', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await run('plain', { selection: 'all', batchIndex: i, batchSize: 2 });
      const scan = scanEnvelopes(r.logs ?? '');
      const nodes = scan.records.map((x) => (x.kind === 'status' ? x.status.node : x.meta.node));
      expect(nodes.length).toBe(i < 3 ? 2 : 1);
      expect(scan.outside.join('\n')).toContain(`[aksfs] batch ${i}: ${nodes.length} of 7 Ready Linux nodes, from position ${i * 2}`);
      seen.push(...nodes);
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(7);
    expect(seen.some((n) => n.endsWith('apps') || /aks-apps-\d{8}-vmss000000/.test(n))).toBe(false);
  });

  it('prints status lines for nodes our Job could not run on', async () => {
    const r = await csClient(sim, SUB_A)
      .managedClusters.runCommand(
        'rg-one',
        'denied',
        { command: RUN_COMMAND, context: context({ pools: ['system', 'apps'], selection: 'all' }) },
        { updateIntervalInMs: 5 },
      )
      .pollUntilDone();
    const scan = scanEnvelopes(r.logs ?? '');
    const statuses = scan.records.filter((x) => x.kind === 'status');
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ status: { pool: 'apps', status: 'admission-denied', reason: expect.stringContaining('validation.gatekeeper.sh') } });
    expect(scan.records.filter((x) => x.kind === 'payload')).toHaveLength(4);
    // The same node is hit whichever batch it falls in: apps nodes sort first, so batch 0 holds it.
    const kinds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const b = await csClient(sim, SUB_A)
        .managedClusters.runCommand(
          'rg-one',
          'denied',
          { command: RUN_COMMAND, context: context({ pools: ['system', 'apps'], selection: 'all', batchSize: 1, batchIndex: i }) },
          { updateIntervalInMs: 5 },
        )
        .pollUntilDone();
      kinds.push(...scanEnvelopes(b.logs ?? '').records.map((x) => x.kind));
    }
    expect(kinds).toEqual(['status', 'payload']);
  });

  it('a command that could not run resolves the poller with provisioningState failed and a reason', async () => {
    const r = await run('imagepull');
    expect(r.provisioningState).toBe('failed');
    expect(r.reason).toBe('ImagePullBackoff');
    expect(r.logs).toBeUndefined();
  });

  it('a command that ran but failed reports succeeded with a non-zero exitCode', async () => {
    const r = await run('exit');
    expect(r.provisioningState).toBe('succeeded');
    expect(r.exitCode).toBe(2);
    expect(r.logs).toMatch(/^\[aksfs\] error: /);
  });

  it('garbage and truncated logs', async () => {
    const g = scanEnvelopes((await run('garbage')).logs ?? '');
    expect(g.records).toEqual([]);
    const t = scanEnvelopes((await run('cut')).logs ?? '');
    expect(t.records.at(-1)).toMatchObject({ kind: 'broken', problem: 'truncated' });
  });

  it('cuts output at 512 kB like run-command', async () => {
    const r = await run('oversize', { selection: 'all', batchSize: 50 });
    const bytes = Buffer.byteLength(r.logs ?? '');
    expect(bytes).toBeLessThanOrEqual(RUN_COMMAND_OUTPUT_LIMIT);
    expect(bytes).toBeGreaterThan(RUN_COMMAND_OUTPUT_LIMIT - 1024);
    const scan = scanEnvelopes(r.logs ?? '');
    expect(scan.records.at(-1)).toMatchObject({ kind: 'broken', problem: 'truncated' });
  });

  it('a benchmark kube-bench does not have fails on every node; a zero batch size stops the script', async () => {
    const r = await run('plain', { benchmark: 'cis-9.9' });
    const statuses = scanEnvelopes(r.logs ?? '').records.filter((x) => x.kind === 'status');
    expect(statuses.map((x) => (x.kind === 'status' ? [x.status.pool, x.status.status] : null))).toEqual([
      ['win', 'not-started'],
      ['apps', 'failed'],
      ['system', 'failed'],
    ]);
    const z = await run('plain', { selection: 'all', batchSize: 0 });
    expect(z.exitCode).toBe(2);
    expect(z.logs).toContain('AKSFS_BATCH_SIZE must be above 0');
  });

  it('kubectl get nodes lists the cluster nodes with AKS names', async () => {
    const r = await csClient(sim, SUB_A)
      .managedClusters.runCommand('rg-one', 'plain', { command: 'kubectl get nodes' }, { updateIntervalInMs: 5 })
      .pollUntilDone();
    const lines = (r.logs ?? '').trim().split('\n');
    expect(lines).toHaveLength(1 + 3 + 5 + 2);
    expect(lines[1]).toMatch(/^aks-system-\d{8}-vmss000000 +Ready /);
  });
});

describe('transient faults are retried by the SDK', () => {
  it('429 with Retry-After on runCommand, then 202', async () => {
    const before = sim.requests.length;
    const r = await csClient(sim, SUB_A)
      .managedClusters.runCommand('rg-one', 'flaky', { command: RUN_COMMAND, context: context() }, { updateIntervalInMs: 5 })
      .pollUntilDone();
    expect(r.provisioningState).toBe('succeeded');
    const posts = requestsSince(before).filter((x) => x.operation === 'ManagedClusters_RunCommand');
    expect(posts.map((x) => [x.status, x.errorCode])).toEqual([
      [429, 'TooManyRequests'],
      [202, null],
    ]);
  });

  it('a reset connection while polling', async () => {
    const before = sim.requests.length;
    const r = await csClient(sim, SUB_A)
      .managedClusters.runCommand('rg-one', 'resetpoll', { command: RUN_COMMAND, context: context() }, { updateIntervalInMs: 5 })
      .pollUntilDone();
    expect(r.provisioningState).toBe('succeeded');
    expect(requestsSince(before).some((x) => x.status === 0 && x.fault === 'reset')).toBe(true);
  });

  it('503 ServiceUnavailable twice, then 200', async () => {
    const before = sim.requests.length;
    expect((await csClient(sim, SUB_A).managedClusters.get('rg-one', 'busy')).name).toBe('busy');
    expect(requestsSince(before).map((x) => x.status)).toEqual([503, 503, 200]);
  });
});
