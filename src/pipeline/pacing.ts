/**
 * Pacing a run per subscription, so that the fleet does not run into AKS's throttling instead of
 * backing off from it. runCommand and (by the stricter reading) its result polls count against
 * AKS's "all other APIs" bucket: 60 requests at once, then 1 a second, per subscription
 * (shared/reference/run-command.md, "Throttling"; src/simulator/throttle.ts models it). The
 * planner knows every cluster of the run and, from the plan and the learned command durations,
 * about how many such requests each will make, so it gives each cluster's first message a
 * visibility delay from a per-subscription schedule: the burst first, then one cluster every
 * (its requests / rate) seconds. Clusters of different subscriptions interleave, since their
 * buckets are apart. A guess that is too low costs a few 429s, which the steps requeue (steps.ts).
 */
import { createHash } from 'node:crypto';
import type { ClusterRef } from '../model/cluster.js';
import { skipDecision } from '../discover/filters.js';
import type { LearnedDurations } from '../scan/steps/progress.js';
import { expectedMs } from '../scan/steps/durations.js';
import { planClusterScan } from '../scan/plan.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import type { ClusterScanOptions } from '../scan/scan-cluster.js';

/** AKS's "all other APIs" bucket, per subscription (AKS docs "quotas-skus-regions", as in throttle.ts). */
export const AKS_OTHER_APIS = { capacity: 60, perSecond: 1 } as const;

export interface Pace {
  /** Requests a subscription may take at once at the start of a run. */
  burst: number;
  /** Requests a second after the burst, in real seconds. */
  perSecond: number;
}

/**
 * A margin under the bucket's burst for other tools (the portal, az aks, deployments) that share the
 * subscription's bucket; the refill is taken whole, since the estimate of 1.1 polls per command is
 * itself about 5 % above what a learned fleet makes (bench: scan.polls_per_command), and a 429 only
 * requeues a step.
 */
export const DEFAULT_PACE: Pace = { burst: 55, perSecond: 1 };

/** A command whose run time nothing has taught yet: about a minute (shared/reference/real-aks-notes.md). */
const ASSUMED_COMMAND_MS = 60_000;
/** Result polls a command with a learned duration takes: one, and now and then a second. */
const POLLS_WHEN_LEARNED = 1.1;
/**
 * Result polls of a command nothing has taught: the first at 20 s, then every 5 s until the assumed
 * minute is over (DEFAULT_POLL_TIMING, in Azure's time, whatever a test or bench scales it to).
 */
const POLLS_UNLEARNED = 1 + Math.ceil(Math.max(0, ASSUMED_COMMAND_MS - DEFAULT_POLL_TIMING.firstPollDelayMs) / DEFAULT_POLL_TIMING.pollIntervalMs);

/** The "all other APIs" requests one cluster's scan is expected to make: a POST and its polls per command. */
export function expectedRequests(cluster: ClusterRef, scanId: string, opts: ClusterScanOptions, durations: LearnedDurations | undefined): number {
  if (skipDecision(cluster, opts.filter)) return 0;
  const plan = planClusterScan(cluster, scanId, opts);
  if (plan.imageProblem) return 0;
  let n = 0;
  for (const env of plan.commands) {
    const units = Math.max(0, Math.min(env.batchSize, plan.units - env.batchIndex * env.batchSize));
    n += 1 + (expectedMs(durations, units) !== null ? POLLS_WHEN_LEARNED : POLLS_UNLEARNED);
  }
  return n;
}

export interface PacedItem {
  subscriptionId: string;
  /** Expected requests in the paced bucket. */
  requests: number;
  /** Seeds the jitter (the scan id): the same plan gives the same delays. */
  key: string;
}

/** A number in [0, 1) from a key: jitter that a test (or a second planning of the same run) can repeat. */
function unitHash(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Each item's visibility delay (ms) and the order to send them in. Within a subscription a cluster
 * starts when the bucket has refilled for every request of the clusters before it and its own:
 * delay = max(0, (requests so far + its own − burst) / rate), plus up to half its own spacing of
 * jitter (only ever later). Ordered by delay, subscriptions interleaved, so that clusters due at
 * the same time spread over every subscription's bucket.
 */
export function paceRun(items: readonly PacedItem[], pace: Pace): { order: number[]; delaysMs: number[] } {
  const used = new Map<string, number>();
  const rank = new Map<string, number>();
  const delaysMs: number[] = [];
  const position: number[] = [];
  const subOrder = new Map<string, number>();
  const subOf: number[] = [];
  items.forEach((it, i) => {
    const sub = it.subscriptionId.toLowerCase();
    if (!subOrder.has(sub)) subOrder.set(sub, subOrder.size);
    subOf[i] = subOrder.get(sub) as number;
    const before = used.get(sub) ?? 0;
    used.set(sub, before + it.requests);
    position[i] = rank.get(sub) ?? 0;
    rank.set(sub, (position[i] as number) + 1);
    // A cluster that makes no requests (skipped) has nothing to wait for.
    const due = it.requests > 0 ? Math.max(0, before + it.requests - pace.burst) / pace.perSecond : 0;
    const jitter = due > 0 ? (unitHash(it.key) * it.requests) / pace.perSecond / 2 : 0;
    delaysMs[i] = Math.round((due + jitter) * 1000);
  });
  const order = items
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (delaysMs[a] as number) - (delaysMs[b] as number) || (position[a] as number) - (position[b] as number) || (subOf[a] as number) - (subOf[b] as number),
    );
  return { order, delaysMs };
}
