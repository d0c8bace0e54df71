/**
 * Runs one hostile case through the worker as the Functions host would: up to MAX_DEQUEUE_COUNT
 * deliveries of its queue message, then the poison handler. Then reads back what the store holds:
 * the run's count of finished clusters and the cluster's latest attempt, which together say
 * whether the case ended with exactly one outcome. The peak resident memory above the idle level
 * is sampled around it (bench: reliability.hostile_peak_rss_mb).
 */
import type { ClusterRef } from '../model/cluster.js';
import { scanMessage } from '../pipeline/message.js';
import { MAX_DEQUEUE_COUNT } from '../pipeline/queues.js';
import type { PipelineDeps } from '../pipeline/pipeline.js';
import { processScanMessage, recordPoisonMessage } from '../pipeline/pipeline.js';
import type { ClusterScanOptions } from '../scan/scan-cluster.js';
import type { HostileCase } from './hostile.js';
import { HOSTILE_EXPECT } from './hostile.js';

export interface HostileResult {
  case: HostileCase;
  /** Finished clusters the run counted (1 when the case ended with one outcome). */
  done: number;
  /** The cluster's latest stored attempt; null when nothing was recorded. */
  outcome: { kind: string; reason: string | null; nodeFailures: string[] } | null;
  matches: boolean;
  peakRssAboveIdleMb: number;
  /** The highest resident set size seen while the case ran, in bytes. */
  peakRssBytes: number;
  /** The worker deliveries it took (MAX_DEQUEUE_COUNT + poison when every one failed). */
  deliveries: number;
  needs?: string;
}

/** Samples RSS every few ms while `work` runs; sync work (a gunzip) shows in the sample after it. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ value: T; peak: number; idle: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const idle = process.memoryUsage.rss();
  let peak = idle;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peak, idle };
  } finally {
    clearInterval(t);
  }
}

export async function runHostileCase(kind: HostileCase, cluster: ClusterRef, deps: PipelineDeps, scanOpts: ClusterScanOptions): Promise<HostileResult> {
  const runId = `hostile-${kind}`;
  const msg = scanMessage(runId, `${runId}-scan`, cluster);
  await deps.store.startRun({ runId, trigger: 'cli', startedAt: deps.now().toISOString(), queued: 1 });
  let deliveries = 0;
  const { peak, idle } = await peakRss(async () => {
    for (let n = 1; n <= MAX_DEQUEUE_COUNT; n++) {
      deliveries++;
      try {
        await processScanMessage(msg, deps, scanOpts, { dequeueCount: n, maxDequeueCount: MAX_DEQUEUE_COUNT });
        return;
      } catch {
        // Redelivered, as the host would; the last delivery records the failure itself.
      }
    }
    deliveries++;
    try {
      await recordPoisonMessage(msg, deps);
    } catch {
      // The poison handler failed too: the store says what is left.
    }
  });
  const run = await deps.store.getRun(runId).catch(() => null);
  const latest = await deps.store.getClusterLatest(cluster.id).catch(() => null);
  const o = latest?.outcome;
  const outcome = o
    ? {
        kind: o.kind,
        reason: o.kind === 'scanned' ? null : o.reason,
        nodeFailures: [...new Set((latest?.nodeFailureList ?? []).map((f) => f.status))],
      }
    : null;
  const spec = HOSTILE_EXPECT[kind];
  const want = spec.expect;
  const matches =
    run?.done === 1 &&
    outcome !== null &&
    outcome.kind === want.kind &&
    (want.kind === 'scanned' || outcome.reason === want.reason) &&
    (want.nodeFailures ?? []).every((s) => outcome.nodeFailures.includes(s));
  return {
    case: kind,
    done: run?.done ?? 0,
    outcome,
    matches,
    peakRssAboveIdleMb: Math.max(0, (peak - idle) / (1024 * 1024)),
    peakRssBytes: peak,
    deliveries,
    ...(spec.needs ? { needs: spec.needs } : {}),
  };
}
