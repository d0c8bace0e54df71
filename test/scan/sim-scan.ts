/** Scans one simulated cluster end to end (real SDK clients, the HTTPS simulator), for scenario tests. */
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import type { ClusterScan } from '../../src/model/cluster.js';
import type { CommandAttempt } from '../../src/scan/scan-cluster.js';
import { scanFleet } from '../../src/scan/scan-fleet.js';
import type { FleetInput, RecordedRequest } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';

export const SUB = '00000000-0000-4000-8000-0000000c0a11';

export type ClusterInput = Omit<FleetInput['clusters'][number], 'subscriptionId'>;

export function clusterInput(over: Partial<ClusterInput> = {}): ClusterInput {
  return {
    resourceGroup: 'rg',
    name: 'aks-one',
    location: 'westeurope',
    kubernetesVersion: '1.33.2',
    pools: [{ name: 'system', mode: 'System', count: 2 }],
    ...over,
  };
}

export interface OneScan {
  scan: ClusterScan;
  attempts: CommandAttempt[];
  requests: RecordedRequest[];
}

export async function scanOne(cluster: ClusterInput, opts: { selection?: 'per-pool' | 'all'; image?: string } = {}): Promise<OneScan> {
  const fleet = parseFleetSpec(
    { subscriptions: [{ subscriptionId: SUB, displayName: 'one' }], clusters: [{ ...cluster, subscriptionId: SUB }] },
    'one-cluster fleet',
  );
  const sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
  const attempts: CommandAttempt[] = [];
  try {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const [scan] = await scanFleet(
      (await discoverFleet(arm, {})).clusters,
      'one',
      { arm, onCommand: (a) => attempts.push(a) },
      {
        benchmark: 'auto',
        selection: opts.selection ?? 'per-pool',
        ...(opts.image ? { image: opts.image } : {}),
        timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
        deadlineMs: 60_000,
        concurrency: 1,
        perSubscription: 1,
      },
    );
    return { scan: scan!, attempts, requests: sim.requests };
  } finally {
    await sim.stop();
  }
}
