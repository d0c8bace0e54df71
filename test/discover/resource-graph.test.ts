/** Resource Graph discovery, with the real @azure/arm-resourcegraph client against the simulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import { discoverViaResourceGraph } from '../../src/discover/resource-graph.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { defaultDemoFleet, startArmSimulator } from '../../src/simulator/index.js';

let sim: RunningSimulator;
const fleet = defaultDemoFleet({ clusters: 23, seed: 4 });
beforeAll(async () => {
  sim = await startArmSimulator({ fleet, pageSize: 5 });
});
afterAll(() => sim?.stop());

describe('discovery through Azure Resource Graph', () => {
  it('finds the same clusters, with the same facts, as listing every subscription; in one paged query', async () => {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const viaArm = await discoverFleet(arm, {});
    const before = arm.stats.requests;
    const viaGraph = await discoverViaResourceGraph(arm, {});
    expect(viaGraph.clusters).toHaveLength(23);
    const key = (c: { id: string }) => c.id.toLowerCase();
    expect(viaGraph.clusters.map(key).sort()).toEqual(viaArm.clusters.map(key).sort());
    for (const c of viaGraph.clusters) {
      const same = viaArm.clusters.find((a) => key(a) === key(c))!;
      expect({ ...c, id: key(c), resourceGroup: c.resourceGroup.toLowerCase() }).toEqual({
        ...same,
        id: key(same),
        resourceGroup: same.resourceGroup.toLowerCase(),
      });
    }
    // 23 rows at 5 a page: 5 requests, followed through $skipToken, and no per-subscription calls.
    expect(arm.stats.byOperation['resourceGraph.resources']).toBe(5);
    expect(arm.stats.requests - before).toBe(5);
  });

  it('limits the query to the subscriptions asked for, minus the excluded ones', async () => {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const [a, b] = fleet.subscriptions.map((s) => s.subscriptionId);
    const only = await discoverViaResourceGraph(arm, { include: [a!, b!], exclude: [b!] });
    expect(only.clusters.length).toBeGreaterThan(0);
    expect(new Set(only.clusters.map((c) => c.subscriptionId))).toEqual(new Set([a]));
  });
});
