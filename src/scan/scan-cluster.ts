/**
 * Scans one cluster in this process: the steps of steps/steps.ts, with the waits between them
 * slept here instead of carried by queue messages. For the CLI's `scan` and tests; the Functions
 * worker runs the same steps one message at a time (src/pipeline).
 */
import type { ArmClients } from '../azure/arm.js';
import type { ClusterFilter } from '../discover/filters.js';
import type { ClusterRef, ClusterScan, FailReason } from '../model/cluster.js';
import type { PlanOptions } from './plan.js';
import { planClusterScan } from './plan.js';
import type { PollTiming, Sleep } from './run-command.js';
import { sleep } from './run-command.js';
import type { RunningDurations } from './steps/durations.js';
import { MemoryStepRecords } from './steps/records.js';
import type { StepRecords } from './steps/records.js';
import type { StepResult } from './steps/steps.js';
import { continueScan, startScan } from './steps/steps.js';

/** run-commands of one cluster in flight at once (ARM allows 60 writes a minute per subscription). */
export const PARALLEL_BATCHES = 3;

/** The Entra ID application of the AKS API server: run-command needs a token for it on Entra ID clusters. */
export const AKS_SERVER_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

export interface ClusterScanOptions extends PlanOptions {
  timing: PollTiming;
  /** The whole cluster, all its commands, must finish within this. */
  deadlineMs: number;
  filter?: ClusterFilter;
}

/** One run-command of a cluster's scan, as it ended; attempt 2 is the retry of a command that never started. */
export interface CommandAttempt {
  clusterId: string;
  batch: number;
  attempt: number;
  outcome: 'done' | FailReason;
}

export interface ClusterScanDeps {
  arm: ArmClients;
  wait?: Sleep;
  now?: () => Date;
  /** Told of every run-command attempt, for the record of what was tried. */
  onCommand?: (a: CommandAttempt) => void;
  /** Learns command durations as they finish, for the first poll of later commands. */
  durations?: RunningDurations;
  /** Where command ids and batch outputs are kept between steps; in memory when omitted. */
  records?: StepRecords;
}

export async function scanCluster(
  cluster: ClusterRef,
  scanSeed: string,
  deps: ClusterScanDeps,
  opts: ClusterScanOptions,
  outer?: AbortSignal,
): Promise<ClusterScan> {
  const memory = deps.records ? null : new MemoryStepRecords();
  const key = { runId: scanSeed, scanId: scanSeed };
  const stepDeps = {
    arm: deps.arm,
    now: deps.now ?? (() => new Date()),
    records: deps.records ?? (memory as MemoryStepRecords),
    ...(deps.onCommand ? { onCommand: deps.onCommand } : {}),
    ...(deps.durations ? { onDuration: (units: number, ms: number) => deps.durations?.observe(units, ms) } : {}),
  };
  const task = (): Parameters<typeof startScan>[0] => ({ cluster, key, ...(deps.durations ? { durations: deps.durations.current() } : {}) });
  let r: StepResult = await startScan(task(), stepDeps, opts);
  const wait = deps.wait ?? sleep;
  while (r.kind === 'wait') {
    const progress = r.progress;
    try {
      await wait(r.delayMs, outer ?? new AbortController().signal);
    } catch {
      // The caller gave up on the scan (its own deadline): end it as the deadline would.
      return {
        cluster,
        benchmark: planClusterScan(cluster, scanSeed, opts).benchmark,
        outcome: { kind: 'failed', reason: 'timeout', detail: `cluster ${cluster.name}: the cluster's deadline passed` },
        startedAt: progress.startedAt,
        finishedAt: stepDeps.now().toISOString(),
      };
    }
    r = await continueScan(task(), progress, stepDeps, opts);
  }
  memory?.forget(key);
  return r.scan;
}
