/**
 * Every scenario of faultFleet, driven through the real SDK by a deliberately plain classifier:
 * checks that what the simulator does for each fault is observable as the expected outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import { scanEnvelopes } from '../../src/model/envelope.js';
import { formatScanEnv, RUN_COMMAND, zipContext } from '../../src/scan/incluster/contract.js';
import type { ClusterSpec, RunningSimulator } from '../../src/simulator/index.js';
import { FAULT_SCENARIOS, faultFleet, RUN_COMMAND_OUTPUT_LIMIT, startArmSimulator } from '../../src/simulator/index.js';
import { csClient, errorOf } from './helpers.js';

interface Observed {
  kind: 'scanned' | 'skipped' | 'failed';
  reason?: string;
  nodeFailures?: string[];
}

function fromError(e: unknown): Observed {
  const { statusCode, code, message } = errorOf(e);
  // The cluster is there but the accepted command's result is not: its pod never started.
  if (statusCode === 404 && code === 'NotFound') return { kind: 'failed', reason: 'command-not-started' };
  if (statusCode === 404) return { kind: 'failed', reason: 'not-found' };
  if (statusCode === 403) return { kind: 'failed', reason: 'forbidden' };
  if (statusCode === 429) return { kind: 'failed', reason: 'throttled' };
  if (code === 'MissingAADClusterToken') return { kind: 'failed', reason: 'missing-cluster-token' };
  if (code === 'KubernetesPerformanceError') return { kind: 'failed', reason: 'command-not-started' };
  if (/abort/i.test(message) || (e as { name?: string }).name === 'AbortError') return { kind: 'failed', reason: 'timeout' };
  if ((statusCode !== undefined && statusCode >= 500) || /ECONNRESET|socket hang up/i.test(message)) return { kind: 'failed', reason: 'arm-unavailable' };
  return { kind: 'failed', reason: 'internal' };
}

async function scan(cs: ContainerServiceClient, c: ClusterSpec, deadlineMs: number): Promise<Observed> {
  let mc;
  try {
    mc = await cs.managedClusters.get(c.resourceGroup, c.name);
  } catch (e) {
    return fromError(e);
  }
  if (mc.powerState?.code === 'Stopped') return { kind: 'skipped', reason: 'stopped' };
  if (mc.provisioningState !== 'Succeeded') return { kind: 'skipped', reason: 'not-succeeded' };
  if (mc.apiServerAccessProfile?.disableRunCommand) return { kind: 'skipped', reason: 'run-command-disabled' };
  const pools = (mc.agentPoolProfiles ?? []).filter((p) => p.osType === 'Linux').map((p) => p.name ?? '');
  if (pools.length === 0) return { kind: 'skipped', reason: 'no-linux-pool' };
  const context = zipContext({
    'scan.env': formatScanEnv({
      scanId: 'ff',
      benchmark: 'aks-1.8',
      namespace: 'aks-fleet-scanner',
      image: 'img',
      selection: 'per-pool',
      pools,
      batchIndex: 0,
      batchSize: 10,
      jobTimeoutSeconds: 240,
    }),
  });
  let r;
  // One retry of a command that never started, as the support article advises.
  for (let attempt = 1; !r; attempt++) {
    try {
      r = await cs.managedClusters
        .runCommand(
          c.resourceGroup,
          c.name,
          { command: RUN_COMMAND, context, clusterToken: mc.aadProfile?.managed ? 'aks-token' : undefined },
          { updateIntervalInMs: 25 },
        )
        // Polling much faster would drain the AKS operation-status bucket (200 @ 2/s): the simulator throttles that too.
        .pollUntilDone({ abortSignal: AbortSignal.timeout(deadlineMs) });
    } catch (e) {
      const o = fromError(e);
      if (o.reason !== 'command-not-started' || attempt >= 2) return o;
    }
  }
  if (r.provisioningState?.toLowerCase() === 'failed') {
    return {
      kind: 'failed',
      reason: /ImagePull/i.test(r.reason ?? '') ? 'image-pull' : /denied the request/.test(r.reason ?? '') ? 'admission-denied' : 'command-failed',
    };
  }
  if (r.exitCode !== 0) return { kind: 'failed', reason: 'command-failed' };
  const logs = r.logs ?? '';
  if (Buffer.byteLength(logs) > RUN_COMMAND_OUTPUT_LIMIT - 1024) return { kind: 'failed', reason: 'output-truncated' };
  const records = scanEnvelopes(logs).records;
  if (records.length === 0) return { kind: 'failed', reason: 'unparseable-output' };
  const failures = records.flatMap((x) => (x.kind === 'payload' ? [] : x.kind === 'broken' ? [x.problem] : [x.status.status]));
  // No node scanned because Kubernetes refused every Job: the cluster failed.
  if (!records.some((x) => x.kind === 'payload') && failures.every((f) => f === 'forbidden')) return { kind: 'failed', reason: 'forbidden' };
  return failures.length ? { kind: 'scanned', nodeFailures: [...new Set(failures)] } : { kind: 'scanned' };
}

const fleet = faultFleet({ clusters: 200, seed: 11 });
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startArmSimulator({ fleet, seed: 11, commandDurationMs: 10, retryAfterSeconds: 0 });
});
afterAll(async () => {
  await sim.stop();
});

describe('faultFleet through the SDK', () => {
  it('each scenario shows its expected outcome', async () => {
    const firstOf = FAULT_SCENARIOS.map((s) => fleet.clusters.find((c) => c.tags['scenario'] === s)!);
    const seen: Record<string, Observed> = {};
    const want: Record<string, Observed> = {};
    await Promise.all(
      firstOf.map(async (c) => {
        // A deadline far shorter than the slow command, and generous for the rest on a loaded machine.
        const deadline = c.faults.some((f) => f.kind === 'slow') ? 1000 : 30_000;
        seen[c.tags['scenario']!] = await scan(csClient(sim, c.subscriptionId), c, deadline);
        const e = c.expect!;
        want[c.tags['scenario']!] = { kind: e.kind, ...(e.reason ? { reason: e.reason } : {}), ...(e.nodeFailures ? { nodeFailures: e.nodeFailures } : {}) };
      }),
    );
    expect(seen).toEqual(want);
  });
});
