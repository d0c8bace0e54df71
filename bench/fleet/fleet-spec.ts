/** The benches' simulated fleet: clusters spread evenly over subscriptions, by default each with a system and a user pool. */
import type { FleetSpec } from '../../src/simulator/index.js';
import { parseFleetSpec } from '../../src/simulator/index.js';

type Pools = { name: string; mode?: 'System' | 'User'; count: number }[];
const TWO_POOLS: Pools = [
  { name: 'system', mode: 'System', count: 3 },
  { name: 'apps', count: 5 },
];

export function benchFleet(clusters: number, subscriptions: number, pools: Pools = TWO_POOLS): FleetSpec {
  const subs = Array.from({ length: subscriptions }, (_, i) => ({
    subscriptionId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    displayName: `fleet-${i + 1}`,
  }));
  return parseFleetSpec(
    {
      subscriptions: subs,
      clusters: Array.from({ length: clusters }, (_, i) => ({
        subscriptionId: subs[i % subscriptions]!.subscriptionId,
        resourceGroup: `rg-fleet-${i % 7}`,
        name: `aks-fleet-${i}`,
        location: 'westeurope',
        kubernetesVersion: ['1.30.7', '1.32.4', '1.33.2'][i % 3],
        pools,
        tags: {},
      })),
    },
    'fleet bench',
  );
}
