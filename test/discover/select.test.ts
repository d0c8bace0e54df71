/** selectClusters, the one rule for the timer, POST /api/scans and `scan`, over the ARM simulator with the real SDK clients. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import { selectClusters } from '../../src/discover/select.js';
import type { ClusterRef } from '../../src/model/cluster.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { defaultDemoFleet, startArmSimulator } from '../../src/simulator/index.js';

let sim: RunningSimulator;
let all: ClusterRef[];
const fleet = defaultDemoFleet({ clusters: 12, seed: 5 });
// Resource Graph spells ARM ids in its own casing (resourcegroups): ids compare case-insensitively.
const ids = (cs: { id: string }[]) => cs.map((c) => c.id.toLowerCase()).sort();
const arm = () => createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });

beforeAll(async () => {
  sim = await startArmSimulator({ fleet });
  all = (await discoverFleet(arm(), {})).clusters;
});
afterAll(() => sim?.stop());

describe.each(['arm', 'resource-graph'] as const)('selectClusters (%s discovery)', (discovery) => {
  it('without ids: the configured subscriptions, minus the excluded, in scope of the resource-group pattern and include tags', async () => {
    const [keep, drop] = fleet.subscriptions.map((s) => s.subscriptionId);
    const rg = all.find((c) => c.subscriptionId === keep)!.resourceGroup;
    const got = await selectClusters(arm(), { discovery, subscriptions: [keep!, drop!], excludeSubscriptions: [drop!], filter: { resourceGroupPattern: rg } });
    const expected = all.filter((c) => c.subscriptionId === keep && c.resourceGroup.toLowerCase() === rg.toLowerCase());
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(got.clusters)).toEqual(ids(expected));
    expect(got.missing).toEqual([]);
    const tagged = await selectClusters(arm(), { discovery, subscriptions: [], excludeSubscriptions: [], filter: { includeTags: ['no-such-tag'] } });
    expect(tagged.clusters).toEqual([]);
  });

  it('with ids: exactly those clusters whatever the scope settings say, once each, and the ids not found reported', async () => {
    const [a, b] = [all[0]!, all[all.length - 1]!];
    const outOfScope = { resourceGroupPattern: 'no-such-group', includeTags: ['no-such-tag'] };
    const gone = a.id.replace(/managedClusters\/[^/]+$/, 'managedClusters/aks-deleted-since');
    const got = await selectClusters(arm(), {
      discovery,
      // Neither subscription is configured, and one is excluded: explicit ids still win.
      subscriptions: ['00000000-0000-4000-8000-000000000000'],
      excludeSubscriptions: [b.subscriptionId],
      filter: outOfScope,
      ids: [a.id, a.id.toLowerCase(), b.id, gone],
    });
    expect(ids(got.clusters)).toEqual(ids([a, b]));
    expect(got.missing).toEqual([gone]);
    expect(got.problems).toEqual([]);
  });
});
