/**
 * The scan steps one at a time, as the worker runs them from messages: what each step records,
 * when it asks to come back, and how it backs off when ARM still throttles past the SDK's retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { discoverFleet } from '../../src/discover/discover.js';
import type { ClusterRef } from '../../src/model/cluster.js';
import type { ClusterScanOptions } from '../../src/scan/scan-cluster.js';
import { MemoryStepRecords } from '../../src/scan/steps/records.js';
import { continueScan, startScan } from '../../src/scan/steps/steps.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { clusterInput, SUB } from './sim-scan.js';

const OPTS: ClusterScanOptions = { benchmark: 'auto', selection: 'per-pool', timing: { firstPollDelayMs: 200, pollIntervalMs: 50 }, deadlineMs: 20_000 };
let sim: RunningSimulator;
let cluster: ClusterRef;
let second: ClusterRef;
let arm: ReturnType<typeof createArmClients>;

beforeAll(async () => {
  const fleet = parseFleetSpec(
    {
      subscriptions: [{ subscriptionId: SUB, displayName: 'one' }],
      // The first result poll is throttled, with a Retry-After of 3 s.
      clusters: [
        { ...clusterInput({ faults: [{ kind: 'throttle', operation: 'ManagedClusters_GetCommandResult', times: 1 }] }), subscriptionId: SUB },
        { ...clusterInput({ name: 'aks-two', faults: [{ kind: 'throttle', operation: 'ManagedClusters_RunCommand', times: 1 }] }), subscriptionId: SUB },
      ],
    },
    'steps fleet',
  );
  sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 3 });
  // No SDK retries: the step itself must back off.
  arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca, maxRetries: 0 });
  const found = (await discoverFleet(arm, {})).clusters;
  cluster = found.find((c) => c.name === 'aks-one') as ClusterRef;
  second = found.find((c) => c.name === 'aks-two') as ClusterRef;
});
afterAll(() => sim?.stop());

describe('scan steps', () => {
  it('start records the command before it asks to come back; a throttled poll comes back after Retry-After, with jitter, holding nothing', async () => {
    const records = new MemoryStepRecords();
    const key = { runId: 'r1', scanId: 'steps-one' };
    const deps = { arm, now: () => new Date(), records, random: () => 1 };
    const first = await startScan({ cluster, key }, deps, OPTS);
    expect(first.kind).toBe('wait');
    if (first.kind !== 'wait') return;
    const [recorded] = await records.commands(key);
    expect(first.progress.inFlight).toEqual([expect.objectContaining({ batch: 0, attempt: 1, commandId: recorded?.commandId })]);
    // The POST's Retry-After (3 s) beats the expected run time; +10 % jitter at random() = 1.
    expect(first.delayMs).toBe(3300);

    // Poll without waiting 3 s (the test's clock is real): the simulator throttles this GET once.
    await new Promise((r) => setTimeout(r, 250));
    const throttled = await continueScan({ cluster, key }, first.progress, deps, OPTS);
    expect(throttled).toMatchObject({ kind: 'wait', progress: { backoffs: 1, inFlight: first.progress.inFlight } });
    if (throttled.kind !== 'wait') return;
    expect(throttled.delayMs).toBe(3300);

    // A redelivered start does not POST again: it finds the recorded command.
    const posts = () => sim.requests.filter((r) => r.operation === 'ManagedClusters_RunCommand').length;
    const before = posts();
    const again = await startScan({ cluster, key }, deps, OPTS);
    expect(posts()).toBe(before);
    expect(again.kind === 'wait' && again.progress.inFlight[0]?.commandId).toBe(recorded?.commandId);

    const done = await continueScan({ cluster, key }, throttled.progress, deps, OPTS);
    expect(done.kind === 'done' && done.scan.outcome.kind).toBe('scanned');
    expect((await records.commands(key))[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('jitter only ever delays, by up to 10 %', async () => {
    const STOPPED = Date.now();
    const key = { runId: 'r2', scanId: 'steps-two' };
    const at = async (random: number) => {
      const r = await startScan(
        { cluster, key: { ...key, scanId: `${key.scanId}-${random}` }, durations: { '1': 10_000 } },
        // A stopped clock: the first poll is due a learned duration after the POST, less the time
        // the POST took, which a loaded machine would otherwise make vary.
        { arm, now: () => new Date(STOPPED), records: new MemoryStepRecords(), random: () => random },
        OPTS,
      );
      return r.kind === 'wait' ? r.delayMs : -1;
    };
    // The learned duration (10 s for one node group) sets the first poll.
    expect(await at(0)).toBe(10_000);
    expect(await at(1)).toBe(11_000);
  });

  it("as the worker's clients do it, a 429 comes back at once (no retry inside the call) and the step is requeued after Retry-After", async () => {
    // The worker's clients: the SDK's default retries, but 429s of run-command calls handed back.
    const worker = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca, throttled: 'return' });
    const key = { runId: 'r3', scanId: 'steps-three' };
    const posts = () => sim.requests.filter((r) => r.operation === 'ManagedClusters_RunCommand' && r.path.includes('/aks-two/'));
    const r = await startScan({ cluster: second, key }, { arm: worker, now: () => new Date(), records: new MemoryStepRecords(), random: () => 0.5 }, OPTS);
    // One POST, answered 429: the SDK did not try again after the 3 s Retry-After.
    expect(posts().map((p) => p.status)).toEqual([429]);
    expect(r).toMatchObject({ kind: 'wait', progress: { backoffs: 1, inFlight: [], next: 0 } });
    // Never earlier than Retry-After (3 s), +5 % jitter at random() = 0.5.
    expect(r.kind === 'wait' && r.delayMs).toBe(3150);
    expect(worker.stats).toMatchObject({ throttled: 1, throttledReturned: 1, throttleRequeues: 1 });
    // Counted once, as the 4xx answer it was, not also as a network error.
    expect(worker.stats.byStatus).toMatchObject({ '4xx': 1 });
    expect(worker.stats.byStatus['network']).toBeUndefined();
  });
});
