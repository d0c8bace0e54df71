/**
 * The scanner against the HTTPS ARM simulator with the real @azure/arm-containerservice and
 * subscriptions clients: a seeded fleet with every fault must end with exactly one outcome per
 * cluster, each fault mapped to its precise reason, within the deadline, with no unhandled rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import type { ClusterScan } from '../../src/model/cluster.js';
import { scanFleet } from '../../src/scan/scan-fleet.js';
import type { FleetSpec, RunningSimulator } from '../../src/simulator/index.js';
import { FAULT_SCENARIOS, faultFleet, startArmSimulator } from '../../src/simulator/index.js';

// Generous against a loaded machine (10 s, then 25 s, timed out healthy clusters at a load average of
// 15-20 on 2 cores); the slow fault runs for 15 simulated minutes, far past it.
const DEADLINE_MS = 60_000;

describe('a fault-injected fleet of 220 clusters', () => {
  let sim: RunningSimulator;
  let fleet: FleetSpec;
  let scans: ClusterScan[];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  let stats: ReturnType<typeof createArmClients>['stats'];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    fleet = faultFleet({ clusters: 220, seed: 20261126 });
    // Time runs ~100x faster than in Azure here, so ARM's buckets are scaled up to match.
    sim = await startArmSimulator({ fleet, seed: 7, pageSize: 25, throttleScale: 100, commandDurationMs: 40, commandJitterMs: 60, retryAfterSeconds: 0 });
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca, retryDelayInMs: 5, maxRetries: 3 });
    stats = arm.stats;
    const found = await discoverFleet(arm, {});
    scans = await scanFleet(
      found.clusters,
      'fault-run',
      { arm },
      {
        benchmark: 'auto',
        selection: 'per-pool',
        timing: { firstPollDelayMs: 30, pollIntervalMs: 20 },
        deadlineMs: DEADLINE_MS,
        concurrency: 32,
        perSubscription: 16,
      },
    );
  }, 300_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await sim?.stop();
  });

  it('ends with exactly one outcome per discovered cluster, and discovery paged through every cluster', () => {
    expect(scans).toHaveLength(fleet.clusters.length);
    expect(new Set(scans.map((s) => s.cluster.id.toLowerCase())).size).toBe(fleet.clusters.length);
    expect(stats.byOperation['managedClusters.list']).toBeGreaterThan(new Set(fleet.clusters.map((c) => c.subscriptionId)).size);
  });

  it('maps every injected fault to its precise outcome and reason', () => {
    const byId = new Map(scans.map((s) => [s.cluster.id.toLowerCase(), s]));
    const seen = new Set<string>();
    const mismatches: string[] = [];
    for (const c of fleet.clusters) {
      const id =
        `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`.toLowerCase();
      const s = byId.get(id);
      const want = c.expect!;
      seen.add(c.tags?.['scenario'] ?? '?');
      const o = s!.outcome;
      const reason = o.kind === 'scanned' ? undefined : o.reason;
      const wantReason = want.reason;
      const okKind = o.kind === want.kind;
      const okReason = want.kind === 'scanned' || reason === wantReason;
      const okNodes = !want.nodeFailures || (o.kind === 'scanned' && want.nodeFailures.every((st) => o.nodeFailures.some((f) => f.status === st)));
      if (!okKind || !okReason || !okNodes)
        mismatches.push(
          `${c.name} [${c.tags?.['scenario']}]: expected ${want.kind}/${wantReason ?? '-'}${want.nodeFailures ? ` nodes ${want.nodeFailures}` : ''}, got ${o.kind}/${reason ?? '-'}: ${o.kind === 'scanned' ? JSON.stringify(o.nodeFailures.map((f) => f.status)) : o.detail}`,
        );
    }
    expect(mismatches).toEqual([]);
    for (const scenario of FAULT_SCENARIOS) expect(seen.has(scenario), scenario).toBe(true);
  });

  it('scans every healthy cluster: nodes with real checks for the benchmark of its version', () => {
    const healthy = scans.filter((s) => ['healthy', 'hardened', 'drifted', 'private', 'aad-managed'].includes(s.cluster.tags['scenario'] ?? ''));
    expect(healthy.length).toBeGreaterThan(60);
    for (const s of healthy) {
      expect(s.outcome.kind).toBe('scanned');
      if (s.outcome.kind !== 'scanned') continue;
      expect(s.outcome.nodes.length).toBe(s.cluster.pools.filter((p) => p.osType === 'Linux' && p.count > 0).length);
      for (const n of s.outcome.nodes) {
        expect(n.benchmark).toBe(s.benchmark);
        expect(n.checks.length).toBeGreaterThan(8);
        expect(n.checks.every((c) => c.id.startsWith('3.'))).toBe(true);
      }
    }
  });

  it('sends a cluster token exactly for Entra ID clusters', () => {
    const aad = scans.filter((s) => s.cluster.aadManaged);
    expect(aad.length).toBeGreaterThan(0);
    expect(aad.filter((s) => s.outcome.kind === 'failed' && s.outcome.reason === 'missing-cluster-token')).toEqual([]);
  });

  it('leaves no unhandled rejection', () => {
    // That the deadline cuts a scan short is shown by the slow fault's timeout above; how far past it
    // a loaded machine gets is not timed here.
    expect(unhandled).toEqual([]);
  });
});

describe('an Entra ID cluster without a cluster token', () => {
  it('fails with missing-cluster-token, naming the cause', async () => {
    const fleet = faultFleet({ clusters: 40, seed: 1 });
    const sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
    try {
      // A credential that signs in to ARM but cannot get a token for the AKS server application.
      const base = simulatorCredential();
      const credential = { getToken: async (scope: string | string[]) => (String(scope).startsWith('6dae42f8') ? null : base.getToken(scope)) };
      const arm = createArmClients({ credential, endpoint: sim.endpoint, ca: sim.ca });
      const found = await discoverFleet(arm, {});
      const aad = found.clusters.filter((c) => c.aadManaged && c.tags['scenario'] === 'aad-managed');
      expect(aad.length).toBeGreaterThan(0);
      const scans = await scanFleet(
        aad,
        'no-token',
        { arm },
        {
          benchmark: 'auto',
          selection: 'per-pool',
          timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
          deadlineMs: 60_000,
          concurrency: 4,
          perSubscription: 4,
        },
      );
      for (const s of scans) expect(s.outcome).toMatchObject({ kind: 'failed', reason: 'missing-cluster-token' });
      expect(arm.stats.byOperation['managedClusters.runCommand'] ?? 0).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});

describe('transient faults at seeded random rates on every request', () => {
  it('healthy clusters are all scanned: 429, 5xx and resets are retried within the budget', async () => {
    const base = faultFleet({ clusters: 120, seed: 5 });
    const healthy = base.clusters.filter((c) =>
      ['healthy', 'hardened', 'drifted', 'private', 'aad-managed', 'mixed-windows'].includes(c.tags?.['scenario'] ?? ''),
    );
    const fleet = { ...base, clusters: healthy, randomFaults: { throttle: 0.03, serverError: 0.03, reset: 0.02 } };
    const sim = await startArmSimulator({ fleet, seed: 5, commandDurationMs: 20, retryAfterSeconds: 0, throttleScale: 100 });
    try {
      const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca, retryDelayInMs: 5, maxRetries: 4 });
      const found = await discoverFleet(arm, {});
      expect(found.clusters).toHaveLength(healthy.length);
      const scans = await scanFleet(
        found.clusters,
        'random',
        { arm },
        {
          benchmark: 'auto',
          selection: 'per-pool',
          timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
          deadlineMs: 60_000,
          concurrency: 16,
          perSubscription: 8,
        },
      );
      expect(scans.filter((s) => s.outcome.kind !== 'scanned').map((s) => `${s.cluster.name}: ${JSON.stringify(s.outcome)}`)).toEqual([]);
      // The faults really happened, and were retried.
      expect(sim.requests.filter((r) => r.status === 429 || r.status >= 500 || r.status === 0).length).toBeGreaterThan(3);
    } finally {
      await sim.stop();
    }
  });
});
