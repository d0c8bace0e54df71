/** When no node could be scanned, the cluster fails with the nodes' own reason, the denying policy named. */
import { describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import { scanFleet } from '../../src/scan/scan-fleet.js';
import { GATEKEEPER_DENIAL, parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';

const SUB = '00000000-0000-4000-8000-0000000d0e11';

async function scanWith(status: 'admission-denied' | 'unschedulable', reason?: string) {
  const fleet = parseFleetSpec(
    {
      subscriptions: [{ subscriptionId: SUB, displayName: 'd' }],
      clusters: [
        {
          subscriptionId: SUB,
          resourceGroup: 'rg',
          name: 'aks-denied',
          location: 'westeurope',
          kubernetesVersion: '1.33.2',
          pools: [{ name: 'system', mode: 'System', count: 2, nodeStatus: { status, ...(reason ? { reason } : {}) } }],
          tags: {},
        },
      ],
    },
    'denied fleet',
  );
  const sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
  try {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const [scan] = await scanFleet(
      (await discoverFleet(arm, {})).clusters,
      'denied',
      { arm },
      {
        benchmark: 'auto',
        selection: 'per-pool',
        timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
        deadlineMs: 60_000,
        concurrency: 1,
        perSubscription: 1,
      },
    );
    return scan!;
  } finally {
    await sim.stop();
  }
}

describe('clusters where no node could be scanned', () => {
  it('admission denial of every Job: admission-denied, naming the policy', async () => {
    const scan = await scanWith('admission-denied', GATEKEEPER_DENIAL);
    expect(scan.outcome).toMatchObject({ kind: 'failed', reason: 'admission-denied', detail: expect.stringMatching(/denied by policy /) });
  });

  it('no Job could be placed: unschedulable', async () => {
    const scan = await scanWith('unschedulable');
    expect(scan.outcome).toMatchObject({ kind: 'failed', reason: 'unschedulable' });
  });
});
