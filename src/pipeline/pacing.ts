/**
 * Pacing a run per subscription, so that the fleet does not run into AKS's throttling instead of
 * backing off from it. runCommand and (by the stricter reading) its result polls count against
 * AKS's "all other APIs" bucket: 60 requests at once, then 1 a second, per subscription
 * (shared/reference/run-command.md, "Throttling"; src/simulator/throttle.ts models it).
 *
 * The planner knows every cluster of the run, and from the plan and the learned command durations
 * about how many such requests each will make and when. It plays each subscription's bucket
 * forward: every cluster's POST as soon as the bucket has a token, and its first result poll no
 * earlier than the command should be done, with due polls served before further POSTs (so that no
 * command waits long for its poll, and no scan nears its deadline). The POST time becomes the first
 * message's visibility delay; the gap from POST to first poll travels in the message, and the
 * worker waits for the larger of that gap and the command's expected run time (steps.ts).
 *
 * Why both, not just spacing the clusters out: a poll need not follow its command at once, and the
 * bucket refills while commands run. Spacing each cluster by all of its requests (POST and poll)
 * leaves the last POST at (requests - burst) / rate and its poll a command later; posting first and
 * polling from the refill ends about a command's run time sooner. Clusters of different
 * subscriptions interleave, since their buckets are apart. A guess that is too low costs a few
 * 429s, which the steps requeue (steps.ts).
 */
import { createHash } from 'node:crypto';
import type { ClusterRef } from '../model/cluster.js';
import { skipDecision } from '../discover/filters.js';
import type { LearnedDurations } from '../scan/steps/progress.js';
import { expectedMs } from '../scan/steps/durations.js';
import { planClusterScan } from '../scan/plan.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import type { PollTiming } from '../scan/run-command.js';
import type { ClusterScanOptions } from '../scan/scan-cluster.js';
import { PARALLEL_BATCHES } from '../scan/scan-cluster.js';

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
export const DEFAULT_PACE: Pace = { burst: AKS_OTHER_APIS.capacity - 5, perSecond: AKS_OTHER_APIS.perSecond };

/** A command whose run time nothing has taught yet: about a minute (shared/reference/real-aks-notes.md). */
const ASSUMED_COMMAND_MS = 60_000;
/** Result polls a command with a learned duration takes: one, and now and then a second. */
const POLLS_WHEN_LEARNED = 1.1;
/**
 * Result polls of a command nothing has taught, first polled `gapMs` after its POST: one every poll
 * interval until the assumed minute is over (with DEFAULT_POLL_TIMING, in Azure's time, whatever a
 * test or bench scales it to).
 */
function pollsUnlearned(gapMs: number, timing: PollTiming): number {
  const assumed = (ASSUMED_COMMAND_MS * timing.pollIntervalMs) / DEFAULT_POLL_TIMING.pollIntervalMs;
  return 1 + Math.ceil(Math.max(0, assumed - gapMs) / timing.pollIntervalMs);
}

/** What one cluster's scan is expected to ask of its subscription's "all other APIs" bucket. */
export interface ClusterLoad {
  /** POSTs of the first step: the first batches, up to PARALLEL_BATCHES in flight. 0: no request (skipped). */
  start: number;
  /** When the earliest result of the first batches is due after their POST (ms): the worker's first poll. */
  firstPollMs: number;
  /** First batches whose run time the fleet has taught (about one poll each), and those it has not. */
  learned: number;
  unlearned: number;
  /** Requests of the batches after the first ones: their POSTs and polls. */
  rest: number;
  /** The workers' timing (a test or bench scales it). */
  timing: PollTiming;
}

const noLoad = (timing: PollTiming): ClusterLoad => ({ start: 0, firstPollMs: 0, learned: 0, unlearned: 0, rest: 0, timing });

/** The requests from the first poll on, when that poll comes `gapMs` after the POST. */
export function laterRequests(load: ClusterLoad, gapMs: number): number {
  return load.learned * POLLS_WHEN_LEARNED + load.unlearned * pollsUnlearned(gapMs, load.timing) + load.rest;
}

export function expectedLoad(cluster: ClusterRef, scanId: string, opts: ClusterScanOptions, durations: LearnedDurations | undefined): ClusterLoad {
  if (skipDecision(cluster, opts.filter)) return noLoad(opts.timing);
  const plan = planClusterScan(cluster, scanId, opts);
  if (plan.imageProblem || plan.commands.length === 0) return noLoad(opts.timing);
  const load = { ...noLoad(opts.timing), firstPollMs: Number.POSITIVE_INFINITY };
  plan.commands.forEach((env, i) => {
    const units = Math.max(0, Math.min(env.batchSize, plan.units - env.batchIndex * env.batchSize));
    const learned = expectedMs(durations, units);
    if (i >= PARALLEL_BATCHES) {
      load.rest += 1 + (learned !== null ? POLLS_WHEN_LEARNED : pollsUnlearned(opts.timing.firstPollDelayMs, opts.timing));
      return;
    }
    load.start++;
    if (learned !== null) load.learned++;
    else load.unlearned++;
    load.firstPollMs = Math.min(load.firstPollMs, learned ?? opts.timing.firstPollDelayMs);
  });
  return load;
}

export interface PacedItem {
  subscriptionId: string;
  load: ClusterLoad;
  /** Seeds the jitter (the scan id): the same plan gives the same delays. */
  key: string;
}

export interface PacedRun {
  /** Item indexes in the order to send them: by delay, subscriptions interleaved. */
  order: number[];
  /** Each item's visibility delay (ms): when its POST may go. */
  delaysMs: number[];
  /** Each item's gap from its POST to its first result poll (ms); 0 for an item that makes no request. */
  firstPollAfterMs: number[];
  /** Each item's requests as the schedule counted them (its polls from the gap it was given). */
  requests: number[];
}

/** A number in [0, 1) from a key: jitter that a test (or a second planning of the same run) can repeat. */
function unitHash(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * A subscription's bucket played forward in seconds from the plan: `take` says when a request that
 * wants to go at `at` gets its tokens. A take of more than one (a command's polls, counted when the
 * first goes) may leave the level below zero; the next request waits for the refill to repay it.
 */
class PlannedBucket {
  private t = 0;
  private level: number;

  constructor(private readonly pace: Pace) {
    this.level = pace.burst;
  }

  /** The earliest time the next request gets a token. */
  next(): number {
    return this.level >= 1 ? this.t : this.t + (1 - this.level) / this.pace.perSecond;
  }

  take(at: number, n: number): number {
    const when = Math.max(at, this.next());
    this.level = Math.min(this.pace.burst, this.level + (when - this.t) * this.pace.perSecond) - n;
    this.t = when;
    return when;
  }
}

interface Schedule {
  /** Seconds from the plan: each item's POST and first poll. */
  post: number[];
  poll: number[];
  requests: number[];
}

/** One subscription's items (indexes into `items`, in listing order) through its bucket. */
function scheduleSubscription(items: readonly PacedItem[], idx: readonly number[], pace: Pace, out: Schedule): void {
  const bucket = new PlannedBucket(pace);
  const posts = idx.filter((i) => (items[i] as PacedItem).load.start > 0);
  let nextPost = 0;
  // First polls waiting for their command, sorted by when each may go.
  const due: { i: number; at: number }[] = [];
  while (nextPost < posts.length || due.length > 0) {
    const first = due[0];
    if (first && (first.at <= bucket.next() || nextPost >= posts.length)) {
      due.shift();
      const load = (items[first.i] as PacedItem).load;
      const goes = Math.max(first.at, bucket.next());
      const n = laterRequests(load, (goes - (out.post[first.i] as number)) * 1000);
      out.poll[first.i] = bucket.take(goes, n);
      out.requests[first.i] = load.start + n;
      continue;
    }
    const i = posts[nextPost++] as number;
    const load = (items[i] as PacedItem).load;
    out.post[i] = bucket.take(0, load.start);
    const at = (out.post[i] as number) + load.firstPollMs / 1000;
    let lo = 0;
    let hi = due.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((due[mid] as { at: number }).at <= at) lo = mid + 1;
      else hi = mid;
    }
    due.splice(lo, 0, { i, at });
  }
}

/**
 * Each item's visibility delay and first-poll gap, and the order to send them in. Jitter of up to
 * half a token's spacing, only ever later, keeps instances that pick up messages due together from
 * reaching ARM in step.
 */
export function paceRun(items: readonly PacedItem[], pace: Pace): PacedRun {
  const bySub = new Map<string, number[]>();
  items.forEach((it, i) => {
    const sub = it.subscriptionId.toLowerCase();
    const list = bySub.get(sub) ?? [];
    list.push(i);
    bySub.set(sub, list);
  });
  const out: Schedule = { post: items.map(() => 0), poll: items.map(() => 0), requests: items.map(() => 0) };
  for (const idx of bySub.values()) scheduleSubscription(items, idx, pace, out);

  const spacing = 1 / pace.perSecond;
  const late = (key: string, at: number): number => (at > 0 && Number.isFinite(at) ? (unitHash(key) * spacing) / 2 : 0);
  const delaysMs = items.map((it, i) => Math.round(((out.post[i] as number) + late(it.key, out.post[i] as number)) * 1000));
  const firstPollAfterMs = items.map((it, i) =>
    it.load.start === 0 ? 0 : Math.max(it.load.firstPollMs, Math.round(((out.poll[i] as number) - (out.post[i] as number)) * 1000)),
  );
  const subOf: number[] = [];
  const position: number[] = [];
  [...bySub.values()].forEach((idx, s) =>
    idx.forEach((i, k) => {
      subOf[i] = s;
      position[i] = k;
    }),
  );
  const order = items
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (delaysMs[a] as number) - (delaysMs[b] as number) || (position[a] as number) - (position[b] as number) || (subOf[a] as number) - (subOf[b] as number),
    );
  return { order, delaysMs, firstPollAfterMs, requests: out.requests };
}
