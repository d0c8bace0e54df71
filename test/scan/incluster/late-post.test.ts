/**
 * A second POST of the same scan and batch that arrives after the first command ended: the worker
 * died between ARM accepting the POST and recording it, and the Functions host redelivers its
 * message only when the message's 10-minute lease runs out. The script leaves its finished Jobs
 * until their ttlSecondsAfterFinished, so the late command finds them; the simulator models that
 * (jobSets) from the Job template's own TTL. Real SDK clients, the HTTPS simulator, a test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../../src/azure/arm.js';
import { simulatorCredential } from '../../../src/cli/static-credential.js';
import { discoverFleet } from '../../../src/discover/discover.js';
import type { ClusterRef } from '../../../src/model/cluster.js';
import { buildRunCommandRequest } from '../../../src/scan/incluster/request.js';
import { planClusterScan } from '../../../src/scan/plan.js';
import { postCommand } from '../../../src/scan/run-command.js';
import type { ClusterScanOptions } from '../../../src/scan/scan-cluster.js';
import { MemoryStepRecords } from '../../../src/scan/steps/records.js';
import { continueScan, startScan } from '../../../src/scan/steps/steps.js';
import type { RunningSimulator } from '../../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../../src/simulator/index.js';
import { jobKeepMs } from '../../../src/simulator/job-sets.js';
import { clusterInput, SUB } from '../sim-scan.js';

const COMMAND_MS = 60_000;
/** How long the Functions host keeps a dead worker's message hidden (Azure/azure-webjobs-sdk#1040). */
const LEASE_MS = 10 * 60_000;
const OPTS: ClusterScanOptions = {
  benchmark: 'auto',
  selection: 'per-pool',
  timing: { firstPollDelayMs: COMMAND_MS, pollIntervalMs: 5_000 },
  deadlineMs: 3600_000,
};

let now = Date.parse('2026-11-30T12:00:00Z');
let sim: RunningSimulator;
let arm: ReturnType<typeof createArmClients>;
let cluster: ClusterRef;
let notStarted: ClusterRef;

beforeAll(async () => {
  const fleet = parseFleetSpec(
    {
      subscriptions: [{ subscriptionId: SUB, displayName: 'one' }],
      clusters: [
        { ...clusterInput({ name: 'aks-late' }), subscriptionId: SUB },
        // The first command pod never starts: its result answers 404 and no Job is made.
        { ...clusterInput({ name: 'aks-not-started', faults: [{ kind: 'result-not-found', times: 1 }] }), subscriptionId: SUB },
      ],
    },
    'late-post fleet',
  );
  sim = await startArmSimulator({ fleet, clock: () => now, commandDurationMs: COMMAND_MS, retryAfterSeconds: 0 });
  arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
  const found = (await discoverFleet(arm, {})).clusters;
  cluster = found.find((c) => c.name === 'aks-late')!;
  notStarted = found.find((c) => c.name === 'aks-not-started')!;
});
afterAll(() => sim?.stop());

const setsOf = (id: string) => sim.jobSets().filter((s) => s.clusterId.toLowerCase() === id.toLowerCase());

describe('a second POST after the first command ended', () => {
  it('finds the first command’s finished Jobs: one set of kube-bench Jobs, the scan completes with its results', async () => {
    const key = { runId: 'late', scanId: 'late-one' };
    const records = new MemoryStepRecords();
    let alive = false;
    const deps = {
      arm,
      now: () => new Date(now),
      records,
      random: () => 0,
      afterPost: () => {
        if (!alive) throw new Error('injected: the worker died after ARM accepted the POST');
      },
    };
    await expect(startScan({ cluster, key }, deps, OPTS)).rejects.toThrow(/worker died/);
    expect(await records.commands(key)).toEqual([]);

    // The first command runs to its end; the message reappears once its lease runs out.
    now += COMMAND_MS + LEASE_MS;
    alive = true;
    const again = await startScan({ cluster, key }, deps, OPTS);
    expect(again.kind).toBe('wait');
    if (again.kind !== 'wait') return;
    now += again.delayMs;
    const done = await continueScan({ cluster, key }, again.progress, deps, OPTS);
    expect(done.kind === 'done' && done.scan.outcome.kind).toBe('scanned');
    expect(done.kind === 'done' && done.scan.outcome.kind === 'scanned' && done.scan.outcome.nodes.length).toBeGreaterThan(0);

    const runs = sim.commandRuns.filter((r) => r.clusterId.toLowerCase() === cluster.id.toLowerCase());
    expect(runs).toHaveLength(2);
    // Late: the second command started after the first one's result was ready.
    expect(runs[1]!.startedAt).toBeGreaterThan(runs[0]!.finishAt);
    const sets = setsOf(cluster.id);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.commands).toHaveLength(2);
    const [recorded] = await records.commands(key);
    expect(recorded?.commandId).toBe(sets[0]!.commands[1]);
  });

  it('a retry of a command whose pod never started is attempt 2 of the batch, and its Jobs are the only set', async () => {
    const key = { runId: 'late', scanId: 'not-started-one' };
    const records = new MemoryStepRecords();
    const deps = { arm, now: () => new Date(now), records, random: () => 0 };
    let step = await startScan({ cluster: notStarted, key }, deps, OPTS);
    while (step.kind === 'wait') {
      now += step.delayMs;
      step = await continueScan({ cluster: notStarted, key }, step.progress, deps, OPTS);
    }
    expect(step.scan.outcome.kind).toBe('scanned');
    // Two POSTs; the record holds the batch's latest attempt.
    const posts = sim.requests.filter((r) => r.operation === 'ManagedClusters_RunCommand' && r.clusterId?.toLowerCase() === notStarted.id.toLowerCase());
    expect(posts).toHaveLength(2);
    const [recorded] = await records.commands(key);
    expect([recorded?.batch, recorded?.attempt]).toEqual([0, 2]);
    const sets = setsOf(notStarted.id);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.commands).toEqual([recorded?.commandId]);
  });

  it('holds the Jobs for the template’s ttlSecondsAfterFinished (30 min, past the lease), and no longer', async () => {
    expect(jobKeepMs()).toBe(1800_000);
    // A late POST comes at most a lease after the first command, which run-command ends within ~5 minutes.
    expect(jobKeepMs()).toBeGreaterThan(LEASE_MS + 5 * 60_000);
    const [env] = planClusterScan(cluster, 'ttl-one', OPTS).commands;
    const post = () => postCommand(arm.containerService(cluster.subscriptionId), cluster, buildRunCommandRequest(env!), AbortSignal.timeout(10_000));
    const before = setsOf(cluster.id).length;
    await post();
    const finished = now + COMMAND_MS;
    now = finished + jobKeepMs() - 1;
    await post();
    expect(
      setsOf(cluster.id)
        .slice(before)
        .map((s) => s.commands.length),
    ).toEqual([2]);
    // Kubernetes has deleted them: a command now runs a new set.
    now = finished + jobKeepMs();
    await post();
    expect(
      setsOf(cluster.id)
        .slice(before)
        .map((s) => s.commands.length),
    ).toEqual([2, 1]);
  });
});
