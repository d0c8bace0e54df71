/**
 * Scan figures, against the HTTPS ARM simulator with the real SDK clients. Time runs about 100x
 * faster than in Azure here (commands of ~0.3 s instead of ~30 s), so the poll timing and ARM's
 * throttling buckets are scaled by the same factor.
 */
import { performance } from 'node:perf_hooks';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { readSettings } from '../../src/config/settings.js';
import { discoverFleet } from '../../src/discover/discover.js';
import { encodeEnvelope } from '../../src/model/envelope.js';
import type { PollTiming } from '../../src/scan/run-command.js';
import { DEFAULT_POLL_TIMING } from '../../src/scan/run-command.js';
import { scanFleet } from '../../src/scan/scan-fleet.js';
import { RunningDurations } from '../../src/scan/steps/durations.js';
import type { FleetSpec } from '../../src/simulator/index.js';
import { startArmSimulator } from '../../src/simulator/index.js';
import { benchFleet as fleetOf } from '../fleet/fleet-spec.js';
import type { Figure } from '../measure.js';
import { round } from '../measure.js';
import { realisticNodeOutput } from './parse.js';

const TIME_SCALE = 100;
const COMMAND_MS = 250;
const JITTER_MS = 150;
const SCALED_TIMING: PollTiming = {
  firstPollDelayMs: DEFAULT_POLL_TIMING.firstPollDelayMs / TIME_SCALE,
  pollIntervalMs: DEFAULT_POLL_TIMING.pollIntervalMs / TIME_SCALE,
};

async function timeScan(
  fleet: FleetSpec,
  concurrency: number,
  perSubscription: number,
  durations: RunningDurations = new RunningDurations(),
  timing: PollTiming = SCALED_TIMING,
): Promise<{ ms: number; requests: number; throttled: number; clusters: number; polls: number }> {
  const sim = await startArmSimulator({
    fleet,
    seed: 11,
    commandDurationMs: COMMAND_MS,
    commandJitterMs: JITTER_MS,
    retryAfterSeconds: 0,
    throttleScale: TIME_SCALE,
    pageSize: 100,
  });
  try {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const found = await discoverFleet(arm, {});
    const t0 = performance.now();
    const scans = await scanFleet(
      found.clusters,
      'bench',
      { arm, durations },
      { benchmark: 'auto', selection: 'per-pool', timing, deadlineMs: 60_000, concurrency, perSubscription },
    );
    const ms = performance.now() - t0;
    const bad = scans.filter((s) => s.outcome.kind !== 'scanned');
    if (bad.length) throw new Error(`bench fleet: ${bad.length} cluster(s) not scanned, e.g. ${JSON.stringify(bad[0]?.outcome)}`);
    const polls = arm.stats.byOperation['managedClusters.getCommandResult'] ?? 0;
    return { ms, requests: arm.stats.requests, throttled: arm.stats.throttled, clusters: scans.length, polls };
  } finally {
    await sim.stop();
  }
}

export async function scanFigures(): Promise<Record<string, Figure>> {
  const N = 500;
  const SUBS = 10;
  // The defaults of SCAN_CONCURRENCY and SCAN_PER_SUBSCRIPTION.
  const { SCAN_CONCURRENCY: concurrency, SCAN_PER_SUBSCRIPTION: perSub } = readSettings({});
  // Sequential baseline on a subset, scaled linearly to the fleet.
  const subset = 20;
  const seq = await timeScan(fleetOf(subset, 1), 1, 1);
  const perCluster = seq.ms / subset;
  const effective = Math.min(concurrency, SUBS * perSub);
  const ideal = (perCluster * N) / effective;
  const learned = new RunningDurations();
  const par = await timeScan(fleetOf(N, SUBS), concurrency, perSub, learned);
  const efficiency = ideal / par.ms;

  // Requests per cluster at the default (unscaled) poll timing against commands of realistic length
  // (~25-40 s), in scaled time, on the run after `par`: its first polls wait the durations learned
  // from `par`'s commands, as the timer hands the last run's durations to the next run. List calls
  // are amortised over the fleet.
  const next = await timeScan(fleetOf(N, SUBS), concurrency, perSub, new RunningDurations(learned.current()));
  const perClusterRequests = next.requests / next.clusters;
  const learnedMs = Object.entries(learned.current())
    .map(([units, ms]) => `${units} unit(s): ${(ms * TIME_SCALE) / 1000} s`)
    .join(', ');

  const env = encodeEnvelope(realisticNodeOutput('aks-1.8'), {
    node: 'aks-nodepool1-12345678-vmss000000',
    pool: 'nodepool1',
    benchmark: 'aks-1.8',
    format: 'json',
  });
  const bytes = Buffer.byteLength(env);
  return {
    'scan.parallel_efficiency': {
      value: round(efficiency, 3),
      unit: 'ideal time / actual time',
      baseline: round(ideal),
      ratio: round(efficiency, 3),
      goal: '>= 0.8',
      met: efficiency >= 0.8,
      note: `${N} clusters in ${SUBS} subscriptions, concurrency ${concurrency} (${perSub} per subscription), commands ${COMMAND_MS}-${COMMAND_MS + JITTER_MS} ms (time scaled 1/${TIME_SCALE}); actual ${round(par.ms)} ms; ideal = sequential ${round(perCluster)} ms/cluster measured on ${subset} clusters, scaled linearly to ${N} and divided by ${effective}; ${par.throttled} throttled response(s)`,
    },
    'scan.arm_requests_per_cluster': {
      value: round(perClusterRequests, 2),
      unit: 'ARM requests per cluster',
      baseline: null,
      ratio: null,
      goal: '<= 3.0',
      met: perClusterRequests <= 3.0,
      note: `the run after a first run of the same fleet: first poll after the command duration learned from that run (90th percentile per batch size: ${learnedMs}), then every ${DEFAULT_POLL_TIMING.pollIntervalMs / 1000} s, against commands of ${(COMMAND_MS * TIME_SCALE) / 1000}-${((COMMAND_MS + JITTER_MS) * TIME_SCALE) / 1000} s, in scaled time; ${next.requests} requests (${next.polls} result polls) for ${next.clusters} clusters, list calls included; the first run, learning as it went from the default ${DEFAULT_POLL_TIMING.firstPollDelayMs / 1000} s: ${round(par.requests / par.clusters, 2)}`,
    },
    'scan.polls_per_command': {
      value: round(next.polls / next.clusters, 2),
      unit: 'GET commandResults per run-command',
      baseline: null,
      ratio: null,
      goal: '<= 1.5',
      met: next.polls / next.clusters <= 1.5,
      note: `one command per cluster (per-pool, 2 pools), the same run as scan.arm_requests_per_cluster: with the learned duration most commands are done at their first poll`,
    },
    'scan.output_bytes_per_node': {
      value: bytes,
      unit: 'bytes per node in its envelope',
      baseline: null,
      ratio: null,
      goal: '<= 16384',
      met: bytes <= 16384,
      note: `aks-1.8 node output built from the real kube-bench sample (${Buffer.byteLength(realisticNodeOutput('aks-1.8'))} bytes of JSON), gzip+base64 envelope; ${Math.floor((512 * 1024) / bytes)} nodes fit one 512 kB run-command output`,
    },
  };
}
