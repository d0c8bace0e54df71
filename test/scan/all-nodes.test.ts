/** --nodes all: every Linux node, split into run-commands that each stay under the output cap. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import type { ClusterScan } from '../../src/model/cluster.js';
import { scanEnvFromContext } from '../../src/scan/incluster/contract.js';
import { scanFleet } from '../../src/scan/scan-fleet.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';

const SUB = '00000000-0000-4000-8000-00000000abcd';

describe('scanning every node of a large cluster', () => {
  let sim: RunningSimulator;
  let scan: ClusterScan;
  let bodies: { selection: string; batchIndex: number; batchSize: number }[] = [];

  beforeAll(async () => {
    const fleet = parseFleetSpec(
      {
        subscriptions: [{ subscriptionId: SUB, displayName: 'big' }],
        clusters: [
          {
            subscriptionId: SUB,
            resourceGroup: 'rg-big',
            name: 'aks-big',
            location: 'westeurope',
            kubernetesVersion: '1.33.2',
            pools: [
              { name: 'system', mode: 'System', count: 3 },
              { name: 'apps', count: 45, notReady: 2 },
              { name: 'gpu', count: 22 },
              { name: 'win', osType: 'Windows', count: 4 },
            ],
            tags: {},
          },
        ],
      },
      'big fleet',
    );
    sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const found = await discoverFleet(arm, {});
    // Record what we asked the cluster to do, from the requests' own context.
    const orig = arm.containerService(SUB).managedClusters.runCommand.bind(arm.containerService(SUB).managedClusters);
    arm.containerService(SUB).managedClusters.runCommand = (rg, name, body, opts) => {
      bodies.push(scanEnvFromContext(body.context!));
      return orig(rg, name, body, opts);
    };
    [scan] = (await scanFleet(
      found.clusters,
      'all-nodes',
      { arm },
      {
        benchmark: 'auto',
        selection: 'all',
        nodesPerCommand: 30,
        timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
        deadlineMs: 60_000,
        concurrency: 1,
        perSubscription: 1,
      },
    )) as [ClusterScan];
  });
  afterAll(async () => {
    bodies = [];
    await sim?.stop();
  });

  it('covers every Ready Linux node once, in commands of at most 30 nodes', () => {
    expect(scan.outcome.kind).toBe('scanned');
    if (scan.outcome.kind !== 'scanned') return;
    // 70 Linux nodes, 2 of them NotReady (which the script leaves out); Windows nodes are never targeted.
    const names = scan.outcome.nodes.map((n) => n.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(68);
    expect(scan.outcome.nodes.some((n) => n.pool === 'win')).toBe(false);
    expect(bodies.map((b) => [b.selection, b.batchIndex, b.batchSize])).toEqual([
      ['all', 0, 30],
      ['all', 1, 30],
      ['all', 2, 30],
    ]);
  });
});

describe('nodes beyond the planned batches', () => {
  it('are reported when the cluster has more Ready nodes than ARM said when the scan was planned', async () => {
    const SUB2 = '00000000-0000-4000-8000-00000000abce';
    const spec = (count: number) =>
      parseFleetSpec(
        {
          subscriptions: [{ subscriptionId: SUB2, displayName: 'grown' }],
          clusters: [
            {
              subscriptionId: SUB2,
              resourceGroup: 'rg',
              name: 'aks-grown',
              location: 'westeurope',
              kubernetesVersion: '1.33.2',
              pools: [{ name: 'apps', count }],
              tags: {},
            },
          ],
        },
        'grown fleet',
      );
    // ARM (and so the plan) says 10 nodes; the cluster has 14 Ready ones by the time the command runs.
    const grown = await startArmSimulator({ fleet: spec(14), commandDurationMs: 20, retryAfterSeconds: 0 });
    try {
      const arm = createArmClients({ credential: simulatorCredential(), endpoint: grown.endpoint, ca: grown.ca });
      const [listed] = (await discoverFleet(arm, {})).clusters;
      const asPlanned = { ...listed!, pools: listed!.pools.map((p) => ({ ...p, count: 10 })) };
      const [scan] = await scanFleet(
        [asPlanned],
        'grown',
        { arm },
        {
          benchmark: 'auto',
          selection: 'all',
          nodesPerCommand: 5,
          timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
          deadlineMs: 60_000,
          concurrency: 1,
          perSubscription: 1,
        },
      );
      expect(scan!.outcome.kind).toBe('scanned');
      if (scan!.outcome.kind !== 'scanned') return;
      expect(scan!.outcome.nodes).toHaveLength(10);
      expect(scan!.outcome.nodeFailures).toEqual([
        expect.objectContaining({ node: '(not covered)', status: 'missing', detail: expect.stringMatching(/^4 of 14 Ready Linux nodes/) }),
      ]);
    } finally {
      await grown.stop();
    }
  });
});
