/** Poll timing: wait the expected run time, never poll faster than the interval or than Retry-After asks. */
import { afterAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { listClusters } from '../../src/discover/discover.js';
import { buildRunCommandRequest } from '../../src/scan/incluster/request.js';
import { planClusterScan } from '../../src/scan/plan.js';
import { DEFAULT_POLL_TIMING, runClusterCommand } from '../../src/scan/run-command.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { defaultDemoFleet, startArmSimulator } from '../../src/simulator/index.js';

let sim: RunningSimulator;
afterAll(() => sim?.stop());

async function run(retryAfterSeconds: number, timing = DEFAULT_POLL_TIMING) {
  const fleet = defaultDemoFleet({ clusters: 1, seed: 9 });
  sim = await startArmSimulator({ fleet, commandDurationMs: 50, retryAfterSeconds });
  const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
  const [cluster] = await listClusters(arm, fleet.clusters[0]!.subscriptionId);
  const waits: number[] = [];
  // The injected sleep records what the executor asked for and returns at once.
  const wait = async (ms: number) => {
    waits.push(ms);
    await new Promise((r) => setTimeout(r, 60));
  };
  const env = planClusterScan(cluster!, 'timing', { benchmark: 'auto', selection: 'per-pool' }).commands[0]!;
  const result = await runClusterCommand(
    arm.containerService(cluster!.subscriptionId),
    cluster!,
    buildRunCommandRequest(env),
    timing,
    AbortSignal.timeout(60_000),
    wait,
  );
  await sim.stop();
  return { waits, result, polls: arm.stats.byOperation['managedClusters.getCommandResult'] ?? 0 };
}

describe('run-command polling', () => {
  it('by default waits 20 s before the first poll and at least 5 s between polls', async () => {
    const { waits, result, polls } = await run(1);
    expect(result.exitCode).toBe(0);
    expect(waits[0]).toBe(20_000);
    for (const w of waits.slice(1)) expect(w).toBeGreaterThanOrEqual(5_000);
    expect(polls).toBe(waits.length);
  });

  it('honours a Retry-After longer than the interval', async () => {
    const { waits } = await run(7, { firstPollDelayMs: 10, pollIntervalMs: 20 });
    // The POST's Retry-After (7 s) beats the 10 ms first delay; each 202 poll asks for 7 s again.
    expect(waits[0]).toBe(7_000);
    for (const w of waits.slice(1)) expect(w).toBe(7_000);
  });
});
