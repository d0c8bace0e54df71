/**
 * An AKS Automatic cluster in the demo fleet (node auto-provisioning, no ARM agent pool, every node
 * labelled karpenter.sh/nodepool) is scanned end to end through the simulator, not skipped.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import { scanFleet } from '../../src/scan/scan-fleet.js';
import type { FleetSpec } from '../../src/simulator/index.js';
import { defaultDemoFleet, parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { ROOT } from '../fixtures/paths.js';

async function scanAutomatic(fleet: FleetSpec): Promise<void> {
  const spec = fleet.clusters.filter((c) => c.nodeProvisioning === 'Automatic');
  expect(spec).toHaveLength(1);
  const sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
  try {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const found = (await discoverFleet(arm, {})).clusters.filter((c) => c.name === spec[0]!.name);
    expect(found).toHaveLength(1);
    const ref = found[0]!;
    // What ARM says: no agent pool at all, node auto-provisioning on.
    expect(ref.pools).toEqual([]);
    expect(ref.nodeAutoProvisioning).toBe(true);
    const [scan] = await scanFleet(
      found,
      'automatic',
      { arm },
      {
        benchmark: 'auto',
        selection: 'per-pool',
        timing: { firstPollDelayMs: 20, pollIntervalMs: 20 },
        deadlineMs: 20_000,
        concurrency: 1,
        perSubscription: 1,
      },
    );
    expect(scan?.outcome.kind).toBe('scanned');
    if (scan?.outcome.kind !== 'scanned') return;
    // One node per Karpenter node pool, each named by the cluster, none missing.
    expect(scan.outcome.nodes.map((n) => n.pool).sort()).toEqual(spec[0]!.pools.map((p) => p.name).sort());
    expect(scan.outcome.nodeFailures).toEqual([]);
  } finally {
    await sim.stop();
  }
}

describe('AKS Automatic (node auto-provisioning, Karpenter nodes only)', () => {
  it('the default demo fleet has one, and it is scanned', async () => {
    await scanAutomatic(defaultDemoFleet());
  });

  it('examples/fleets/demo.json has one, and it is scanned', async () => {
    await scanAutomatic(parseFleetSpec(JSON.parse(readFileSync(`${ROOT}examples/fleets/demo.json`, 'utf8')), 'examples/fleets/demo.json'));
  });
});
