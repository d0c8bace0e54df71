/**
 * Ready-made fleets: a demo fleet that looks like a real estate (mostly healthy, a few of every
 * special case), and a fault fleet with a seeded mix of every fault and the outcome a correct
 * scanner should reach for each cluster.
 */
import type { ClusterExpectation, FleetInput, FleetSpec } from './fleet-spec.js';
import { parseFleetSpec } from './fleet-spec.js';
import type { Rng } from './random.js';
import { createRng, uuidFrom } from './random.js';

type ClusterBase = FleetInput['clusters'][number];
type FaultInput = NonNullable<ClusterBase['faults']>[number];
/** A cluster as the builders here write it: `faults` always present, so scenarios push to it. */
type ClusterInput = Omit<ClusterBase, 'faults'> & { faults: FaultInput[] };
type PoolInput = ClusterInput['pools'][number];

const VERSIONS = ['1.29', '1.30', '1.31', '1.32', '1.33', '1.34'] as const;
const LOCATIONS = ['eastus', 'westeurope', 'northeurope', 'eastus2', 'uksouth'] as const;
const TEAMS = ['payments', 'search', 'identity', 'data', 'web', 'ml', 'checkout', 'platform', 'media', 'ops'] as const;
const ENVS = ['prod', 'stg', 'dev'] as const;

export const GATEKEEPER_DENIAL =
  'admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-k8sazurev2noprivilege-a1b2c3d4e5f60718293a] Privileged container is not allowed: kube-bench, securityContext: {"privileged": true}';

function versionPatch(rng: Rng, minor: string): string {
  return `${minor}.${rng.int(0, 9)}`;
}

function pools(rng: Rng, version: string, profile: PoolInput['profile'], extra: Partial<PoolInput> = {}): PoolInput[] {
  const list: PoolInput[] = [
    { name: 'system', mode: 'System', count: 3, vmSize: 'Standard_D4ds_v5', profile, orchestratorVersion: version },
    {
      name: 'apps',
      mode: 'User',
      count: rng.int(2, 6),
      vmSize: rng.pick(['Standard_D8ds_v5', 'Standard_D4ds_v5', 'Standard_E8ds_v5']),
      profile,
      orchestratorVersion: version,
      ...extra,
    },
  ];
  if (rng.chance(0.3)) list.push({ name: 'batch', mode: 'User', count: rng.int(1, 4), vmSize: 'Standard_F8s_v2', profile, orchestratorVersion: version });
  return list;
}

function subscriptions(n: number, seed: number, names: readonly string[]): FleetInput['subscriptions'] {
  return Array.from({ length: n }, (_, i) => ({
    subscriptionId: uuidFrom(`sub/${seed}/${i}`),
    displayName: names[i] ?? `Subscription ${i + 1}`,
    tags: { costCenter: String(1000 + i) },
  }));
}

type DemoSpecial = (c: ClusterInput, ctx: { version: string; seed: number }) => void;
const setPool = (c: ClusterInput, i: number, change: Partial<PoolInput>): void => void (c.pools[i] = { ...(c.pools[i] as PoolInput), ...change });

/** The demo estate's special cases, by cluster index; every other cluster is ordinary. */
const DEMO_SPECIALS: Readonly<Record<number, DemoSpecial>> = {
  3: (c, { version }) =>
    void c.pools.push({ name: 'win22', osType: 'Windows', mode: 'User', count: 2, vmSize: 'Standard_D4s_v5', orchestratorVersion: version }),
  5: (c) => void (c.powerState = 'Stopped'),
  7: (c) => void (c.runCommandDisabled = true),
  9: (c, { seed }) => void (c.aad = { managed: true, enableAzureRbac: true, adminGroupObjectIDs: [uuidFrom(`group/${seed}`)] }),
  11: (c) => void (c.private = true),
  13: (c) => void c.faults.push({ kind: 'command-failed', reason: 'ImagePullBackoff' }),
  // AKS Automatic: every node comes from a Karpenter node pool, so ARM lists no agent pool.
  15: (c) => {
    c.nodeProvisioning = 'Automatic';
    for (const p of c.pools) p.karpenter = true;
  },
  17: (c) => setPool(c, 1, { nodeStatus: { status: 'admission-denied', reason: GATEKEEPER_DENIAL, nodes: 1 } }),
  19: (c) => void c.faults.push({ kind: 'throttle', operation: 'ManagedClusters_RunCommand', times: 1 }),
  23: (c) => void c.faults.push({ kind: 'not-started', times: 1 }),
  25: (c) => setPool(c, 1, { notReady: 1 }),
};

/**
 * 3 subscriptions and ~30 clusters on Kubernetes 1.29 to 1.34, with a Windows pool, a stopped
 * cluster, one with run-command disabled, one with Entra ID, a private one, an AKS Automatic one
 * (Karpenter nodes only), and a few failures.
 */
export function defaultDemoFleet(opts: { clusters?: number; seed?: number } = {}): FleetSpec {
  const n = opts.clusters ?? 30;
  const seed = opts.seed ?? 7;
  const rng = createRng(seed);
  const subs = subscriptions(3, seed, ['Contoso Production', 'Contoso Staging', 'Contoso Sandbox']);
  const clusters: ClusterInput[] = [];
  for (let i = 0; i < n; i++) {
    const team = TEAMS[i % TEAMS.length] as string;
    const env = ENVS[Math.floor(i / TEAMS.length) % ENVS.length] as string;
    const sub = subs[i % subs.length]!;
    const minor = VERSIONS[i % VERSIONS.length] as string;
    const version = versionPatch(rng, minor);
    const profile: PoolInput['profile'] = i % 7 === 4 ? 'drifted' : i % 5 === 2 ? 'hardened' : 'aks-default';
    const c: ClusterInput = {
      subscriptionId: sub.subscriptionId,
      resourceGroup: `rg-${team}-${env}`,
      name: `aks-${team}-${env}-${String(Math.floor(i / (TEAMS.length * ENVS.length)) + 1).padStart(2, '0')}`,
      location: LOCATIONS[i % LOCATIONS.length] as string,
      kubernetesVersion: version,
      pools: pools(rng, version, profile),
      tags: { team, env },
      faults: [],
    };
    DEMO_SPECIALS[i]?.(c, { version, seed });
    clusters.push(c);
  }
  return parseFleetSpec({ subscriptions: subs, clusters }, 'defaultDemoFleet');
}

interface Scenario {
  name: string;
  /** Relative frequency after each scenario's first appearance. */
  weight: number;
  apply(c: ClusterInput, rng: Rng): void;
  expect: ClusterExpectation;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'healthy', weight: 30, apply: () => undefined, expect: { kind: 'scanned' } },
  { name: 'hardened', weight: 5, apply: (c) => c.pools.forEach((p) => (p.profile = 'hardened')), expect: { kind: 'scanned' } },
  { name: 'drifted', weight: 5, apply: (c) => c.pools.forEach((p) => (p.profile = 'drifted')), expect: { kind: 'scanned' } },
  {
    name: 'mixed-windows',
    weight: 2,
    apply: (c) => void c.pools.push({ name: 'win', osType: 'Windows', count: 2, vmSize: 'Standard_D4s_v5' }),
    expect: { kind: 'scanned', note: 'the Windows pool is left out of the scan' },
  },
  {
    name: 'aad-managed',
    weight: 3,
    apply: (c) => void (c.aad = { managed: true, enableAzureRbac: true, adminGroupObjectIDs: [] }),
    expect: { kind: 'scanned', note: 'aadProfile.managed: needs a clusterToken, else MissingAADClusterToken (missing-cluster-token)' },
  },
  { name: 'private', weight: 2, apply: (c) => void (c.private = true), expect: { kind: 'scanned', note: 'private clusters work through run-command' } },
  {
    name: 'transient-throttle',
    weight: 2,
    apply: (c) => void c.faults.push({ kind: 'throttle', operation: 'ManagedClusters_RunCommand', times: 1 }),
    expect: { kind: 'scanned', note: 'one 429 with Retry-After, then success' },
  },
  {
    name: 'transient-503',
    weight: 2,
    apply: (c) => void c.faults.push({ kind: 'server-error', status: 503, operation: 'ManagedClusters_GetCommandResult', times: 1 }),
    expect: { kind: 'scanned', note: 'one 503 while polling, then success' },
  },
  {
    name: 'transient-reset',
    weight: 2,
    apply: (c) => void c.faults.push({ kind: 'reset', operation: 'ManagedClusters_GetCommandResult', times: 1 }),
    expect: { kind: 'scanned', note: 'one reset connection while polling, then success' },
  },
  {
    name: 'transient-not-started',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'not-started', times: 1 }),
    expect: { kind: 'scanned', note: 'KubernetesPerformanceError once; a retry succeeds' },
  },
  {
    name: 'transient-result-not-found',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'result-not-found', times: 1 }),
    expect: { kind: 'scanned', note: 'the first command pod never starts (404 on its result); a new POST succeeds' },
  },
  {
    name: 'result-not-found',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'result-not-found' }),
    expect: { kind: 'failed', reason: 'command-not-started', note: '404 on commandResults after every accepted POST' },
  },
  {
    name: 'persistent-throttle',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'throttle' }),
    expect: { kind: 'failed', reason: 'throttled', note: 'every call on the cluster gets 429' },
  },
  {
    name: 'persistent-500',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'server-error', status: 500, operation: 'ManagedClusters_RunCommand' }),
    expect: { kind: 'failed', reason: 'arm-unavailable', note: '500 InternalServerError on every POST' },
  },
  {
    name: 'persistent-503',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'server-error', status: 503, operation: 'ManagedClusters_GetCommandResult' }),
    expect: { kind: 'failed', reason: 'arm-unavailable', note: '503 ServiceUnavailable on every poll' },
  },
  {
    name: 'persistent-reset',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'reset', operation: 'ManagedClusters_RunCommand' }),
    expect: { kind: 'failed', reason: 'arm-unavailable', note: 'the connection is reset on every runCommand POST' },
  },
  {
    name: 'deleted',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'deleted' }),
    expect: { kind: 'failed', reason: 'not-found', note: 'listed, then 404 ResourceNotFound' },
  },
  {
    name: 'forbidden',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'forbidden', operation: 'ManagedClusters_RunCommand' }),
    expect: { kind: 'failed', reason: 'forbidden', note: '403 AuthorizationFailed on runCommand' },
  },
  {
    name: 'not-started',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'not-started' }),
    expect: { kind: 'failed', reason: 'command-not-started', note: 'KubernetesPerformanceError on every POST' },
  },
  {
    name: 'image-pull',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'command-failed', reason: 'ImagePullBackoff' }),
    expect: { kind: 'failed', reason: 'image-pull' },
  },
  {
    name: 'admission-denied',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'command-failed', reason: GATEKEEPER_DENIAL }),
    expect: { kind: 'failed', reason: 'admission-denied' },
  },
  { name: 'exit-code', weight: 1, apply: (c) => void c.faults.push({ kind: 'exit-code', exitCode: 1 }), expect: { kind: 'failed', reason: 'command-failed' } },
  { name: 'garbage', weight: 1, apply: (c) => void c.faults.push({ kind: 'garbage-logs' }), expect: { kind: 'failed', reason: 'unparseable-output' } },
  {
    name: 'truncated',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'truncated-logs', at: 0.6 }),
    expect: { kind: 'scanned', nodeFailures: ['truncated'], note: 'logs end inside an envelope: the cut node is reported truncated' },
  },
  {
    name: 'oversize',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'oversize-logs' }),
    expect: { kind: 'failed', reason: 'output-truncated', note: 'chatter fills the 512 kB cap: the first envelope is cut, no node survives' },
  },
  {
    name: 'slow',
    weight: 1,
    apply: (c) => void c.faults.push({ kind: 'slow', durationMs: 15 * 60_000 }),
    expect: { kind: 'failed', reason: 'timeout', note: 'the command outlasts any sane deadline' },
  },
  { name: 'stopped', weight: 1, apply: (c) => void (c.powerState = 'Stopped'), expect: { kind: 'skipped', reason: 'stopped' } },
  { name: 'run-command-disabled', weight: 1, apply: (c) => void (c.runCommandDisabled = true), expect: { kind: 'skipped', reason: 'run-command-disabled' } },
  { name: 'not-succeeded', weight: 1, apply: (c) => void (c.provisioningState = 'Failed'), expect: { kind: 'skipped', reason: 'not-succeeded' } },
  {
    name: 'windows-only',
    weight: 1,
    apply: (c) => void (c.pools = [{ name: 'npwin', osType: 'Windows', mode: 'System', count: 2, vmSize: 'Standard_D4s_v5' }]),
    expect: { kind: 'skipped', reason: 'no-linux-pool' },
  },
  {
    name: 'node-unschedulable',
    weight: 1,
    apply: (c) => setPool(c, 1, { nodeStatus: { status: 'unschedulable' } }),
    expect: { kind: 'scanned', nodeFailures: ['unschedulable'] },
  },
  {
    name: 'node-image-pull',
    weight: 1,
    apply: (c) => setPool(c, 1, { nodeStatus: { status: 'image-pull' } }),
    expect: { kind: 'scanned', nodeFailures: ['image-pull'] },
  },
  {
    name: 'node-admission-denied',
    weight: 1,
    apply: (c) => setPool(c, 1, { nodeStatus: { status: 'admission-denied', reason: GATEKEEPER_DENIAL } }),
    expect: { kind: 'scanned', nodeFailures: ['admission-denied'] },
  },
  {
    name: 'k8s-forbidden',
    weight: 1,
    // The identity may run commands but Kubernetes RBAC lets it create no Job.
    apply: (c) =>
      c.pools.forEach(
        (p, i) =>
          (c.pools[i] = {
            ...p,
            nodeStatus: {
              status: 'forbidden',
              reason:
                'Kubernetes RBAC: Error from server (Forbidden): jobs.batch is forbidden: User "scanner" cannot create resource "jobs" in API group "batch"',
            },
          }),
      ),
    expect: { kind: 'failed', reason: 'forbidden', note: 'Kubernetes RBAC refuses every Job' },
  },
];

/** The scenario names faultFleet draws from; each appears at least once when clusters >= their count. */
export const FAULT_SCENARIOS: readonly string[] = SCENARIOS.map((s) => s.name);

/**
 * A large fleet (default 200 clusters) with a seeded mix of every fault. Each cluster carries
 * `expect` (the outcome a correct scanner reaches) and a `scenario` tag naming what was injected.
 */
export function faultFleet(opts: { clusters: number; seed: number }): FleetSpec {
  const n = Math.max(opts.clusters, SCENARIOS.length);
  const rng = createRng(opts.seed);
  const subs = subscriptions(4, opts.seed, ['Fault Prod A', 'Fault Prod B', 'Fault Staging', 'Fault Sandbox']);
  const total = SCENARIOS.reduce((s, x) => s + x.weight, 0);
  const draw = (): Scenario => {
    let x = rng.next() * total;
    for (const s of SCENARIOS) {
      x -= s.weight;
      if (x < 0) return s;
    }
    return SCENARIOS[0] as Scenario;
  };
  const chosen: Scenario[] = [...SCENARIOS];
  while (chosen.length < n) chosen.push(draw());
  // Seeded shuffle so faults are spread over subscriptions and list pages.
  for (let i = chosen.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [chosen[i], chosen[j]] = [chosen[j] as Scenario, chosen[i] as Scenario];
  }
  const clusters: ClusterInput[] = chosen.map((s, i) => {
    const sub = subs[i % subs.length]!;
    const version = versionPatch(rng, rng.pick(VERSIONS));
    const c: ClusterInput = {
      subscriptionId: sub.subscriptionId,
      resourceGroup: `rg-fleet-${String(i % 17).padStart(2, '0')}`,
      name: `aks-f${String(i).padStart(4, '0')}-${s.name}`.slice(0, 63),
      location: rng.pick(LOCATIONS),
      kubernetesVersion: version,
      pools: [
        { name: 'system', mode: 'System', count: 2, profile: 'aks-default' },
        { name: 'apps', mode: 'User', count: rng.int(1, 4), profile: 'aks-default' },
      ],
      tags: { scenario: s.name },
      faults: [],
    };
    s.apply(c, rng);
    c.expect = s.expect;
    return c;
  });
  return parseFleetSpec({ subscriptions: subs, clusters }, 'faultFleet');
}
