/**
 * The fleet bench's arithmetic, apart from the run so that it can be read (and tested) alone:
 * the token-bucket floor of a run, the same model projected to another fleet, instance-busy time
 * and the Flex Consumption bill.
 */
import type { BucketSpec, CommandResultBucket, RecordedRequest } from '../../src/simulator/index.js';
import { ARM_READS, ARM_WRITES, aksBucketOf } from '../../src/simulator/index.js';
import { DEFAULT_POLL_TIMING } from '../../src/scan/run-command.js';
import type { PollTiming } from '../../src/scan/run-command.js';

/** Every wait the scanner takes from its timing, divided by the time scale (Azure runs faster here). */
export function scaledTiming(scale: number): PollTiming {
  const scaled: Record<string, number> = {};
  for (const [k, v] of Object.entries(DEFAULT_POLL_TIMING)) scaled[k] = (v as number) / scale;
  return scaled as unknown as PollTiming;
}

/** Seconds a bucket of `spec` needs to admit `n` requests that all want to go at once: the burst, then the refill. */
export function bucketSeconds(n: number, spec: BucketSpec): number {
  return Math.max(0, n - spec.capacity) / spec.perSecond;
}

export interface SubscriptionBuckets {
  subscriptionId: string;
  /** Admitted requests per bucket (429s took no token), and the bucket. */
  counts: Record<string, { n: number; spec: BucketSpec }>;
  /** The slowest bucket: its name and the Azure seconds it needs for its requests. */
  slowest: { bucket: string; seconds: number };
}

/** Per subscription, the admitted requests in each per-subscription bucket the simulator charges (throttle.ts). */
export function subscriptionBuckets(requests: RecordedRequest[], commandResults: CommandResultBucket): SubscriptionBuckets[] {
  const bySub = new Map<string, Map<string, { n: number; spec: BucketSpec }>>();
  const count = (sub: string, name: string, spec: BucketSpec): void => {
    let m = bySub.get(sub);
    if (!m) bySub.set(sub, (m = new Map()));
    const e = m.get(name) ?? { n: 0, spec };
    e.n++;
    m.set(name, e);
  };
  for (const r of requests) {
    if (!r.subscriptionId || r.status === 429 || r.status === 0) continue;
    const sub = r.subscriptionId.toLowerCase();
    count(sub, r.method === 'POST' ? 'arm-writes' : 'arm-reads', r.method === 'POST' ? ARM_WRITES : ARM_READS);
    if (!r.operation?.startsWith('ManagedClusters_')) continue;
    const b = aksBucketOf(r.operation, commandResults);
    if (b.per === 'subscription') count(sub, b.name, b.spec);
  }
  return [...bySub.entries()].map(([subscriptionId, m]) => {
    const counts: SubscriptionBuckets['counts'] = {};
    let slowest = { bucket: 'none', seconds: 0 };
    for (const [name, e] of m) {
      counts[name] = e;
      const s = bucketSeconds(e.n, e.spec);
      if (s > slowest.seconds) slowest = { bucket: name, seconds: s };
    }
    return { subscriptionId, counts, slowest };
  });
}

export interface Floor {
  /** Real seconds: the slowest subscription's bucket time (scaled) plus one command. */
  buckets: number;
  /** Real seconds: worker CPU divided by worker processes. */
  cpu: number;
  value: number;
}

export function floorOf(bucketAzureSeconds: number, commandAzureSeconds: number, timeScale: number, workerCpuSeconds: number, workers: number): Floor {
  const buckets = (bucketAzureSeconds + commandAzureSeconds) / timeScale;
  const cpu = workerCpuSeconds / workers;
  return { buckets, cpu, value: Math.max(buckets, cpu) };
}

/** Union of intervals, for the time an instance had at least one invocation running. */
export function unionMs(spans: [number, number][]): number {
  const s = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | null = null;
  for (const [a, b] of s) {
    if (!cur || a > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    } else cur[1] = Math.max(cur[1], b);
  }
  return cur ? total + cur[1] - cur[0] : total;
}

export interface Projection {
  minutes: number;
  bucketMinutes: number;
  cpuMinutes: number;
  slotMinutes: number;
}

/**
 * The run's model at another fleet size, in Azure (real) time: the slowest of (a) a
 * subscription's buckets for its share of requests, plus one command; (b) processing CPU spread
 * over the instances (one core each); (c) invocation time spread over every instance's slots.
 */
export function project(p: {
  clusters: number;
  subscriptions: number;
  /** Admitted requests per cluster in each per-subscription bucket, from the run. */
  requestsPerCluster: Record<string, { perCluster: number; spec: BucketSpec }>;
  commandSeconds: number;
  cpuSecondsPerCluster: number;
  busySecondsPerCluster: number;
  instances: number;
  perInstance: number;
}): Projection {
  const perSub = p.clusters / p.subscriptions;
  let bucket = 0;
  for (const { perCluster, spec } of Object.values(p.requestsPerCluster)) bucket = Math.max(bucket, bucketSeconds(perCluster * perSub, spec));
  const bucketMinutes = (bucket + p.commandSeconds) / 60;
  const cpuMinutes = (p.cpuSecondsPerCluster * p.clusters) / p.instances / 60;
  const slotMinutes = (p.busySecondsPerCluster * p.clusters) / (p.instances * p.perInstance) / 60;
  return { minutes: Math.max(bucketMinutes, cpuMinutes, slotMinutes), bucketMinutes, cpuMinutes, slotMinutes };
}

/**
 * Flex Consumption, on-demand meters. The billing model is Microsoft's: "the total amount of memory
 * provisioned while each on demand instance is actively executing functions (in GB-seconds)" plus
 * "the total number of executions", each less a monthly free grant (MicrosoftDocs/azure-docs
 * includes/functions-flex-consumption-billing-table.md, used by
 * https://learn.microsoft.com/azure/azure-functions/functions-consumption-costs, Flex tab). The
 * prices are NOT verified against Microsoft: its pricing page
 * (https://azure.microsoft.com/pricing/details/functions/) fills them in client-side and no stored
 * copy shows them; $0.000026/GB-s and $0.40/million executions (East US) are a third party's
 * transcription (https://modal.com/blog/azure-function-pricing-guide, 2025-05-22). The bench prints
 * them as an assumption. Free grants are left out: a fleet scanner's own bill is what is compared.
 */
export const FLEX_ON_DEMAND = {
  usdPerGbSecond: 0.000026,
  usdPerMillionExecutions: 0.4,
  source: 'assumed: third-party transcription of East US on-demand prices (modal.com, 2025-05-22), not verified on azure.microsoft.com',
} as const;

export function flexCostUsd(gbSeconds: number, executions: number): number {
  return gbSeconds * FLEX_ON_DEMAND.usdPerGbSecond + (executions / 1e6) * FLEX_ON_DEMAND.usdPerMillionExecutions;
}

/**
 * How long today's scanCluster invocation held a slot for a command of `commandSeconds`: it
 * POSTed, waited 20 s, then polled every 5 s until the command was done (DEFAULT_POLL_TIMING
 * before the step split), so the invocation ends at the first poll after the command.
 */
export function todaysInvocationSeconds(commandSeconds: number, firstPoll = 20, interval = 5): number {
  return commandSeconds <= firstPoll ? firstPoll : firstPoll + Math.ceil((commandSeconds - firstPoll) / interval) * interval;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : 0;
}

export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
