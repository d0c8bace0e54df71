/**
 * ARM and AKS resource-provider throttling as token buckets (shared/reference/run-command.md,
 * "Throttling"). `scale` shrinks every bucket and its refill rate together so tests can reach
 * the limits with a handful of requests; `timeScale` keeps Azure's bucket sizes and only makes
 * Azure's clock run faster (refill × timeScale), for benchmarks that scale commands in time.
 */
import type { ArmError } from './arm-errors.js';
import { armErrors } from './arm-errors.js';
import type { Route } from './router.js';

export interface BucketSpec {
  capacity: number;
  perSecond: number;
}

/** ARM, per subscription and principal (Learn, "request limits and throttling"). */
export const ARM_READS: BucketSpec = { capacity: 250, perSecond: 25 };
export const ARM_WRITES: BucketSpec = { capacity: 200, perSecond: 10 };
/** AKS resource provider (AKS docs, "quotas-skus-regions"). */
export const AKS_LIST: BucketSpec = { capacity: 500, perSecond: 1 };
export const AKS_GET: BucketSpec = { capacity: 60, perSecond: 1 };
export const AKS_OPERATION_STATUS: BucketSpec = { capacity: 200, perSecond: 2 };
/** "All other APIs", which probably covers runCommand (inferred in run-command.md). */
export const AKS_OTHER: BucketSpec = { capacity: 60, perSecond: 1 };

/**
 * Which AKS bucket a run-command's result polls (GET .../commandResults/{id}) count against. AKS
 * publishes no row for them: 'operation-status' (200 at 2/s) reads them as status polls, 'other'
 * (60 at 1/s, shared with the POST) is the stricter reading. Both are inferences.
 */
export type CommandResultBucket = 'operation-status' | 'other';

/** The AKS resource-provider bucket an operation counts against, and what it is kept per. */
export function aksBucketOf(
  operation: string | null,
  commandResults: CommandResultBucket = 'operation-status',
): { name: 'aks-list' | 'aks-get' | 'aks-op' | 'aks-other'; spec: BucketSpec; per: 'subscription' | 'cluster' } {
  if (operation === 'ManagedClusters_List' || operation === 'ManagedClusters_ListByResourceGroup')
    return { name: 'aks-list', spec: AKS_LIST, per: 'subscription' };
  if (operation === 'ManagedClusters_Get') return { name: 'aks-get', spec: AKS_GET, per: 'cluster' };
  if (operation === 'ManagedClusters_GetCommandResult' && commandResults === 'operation-status')
    return { name: 'aks-op', spec: AKS_OPERATION_STATUS, per: 'subscription' };
  return { name: 'aks-other', spec: AKS_OTHER, per: 'subscription' };
}

export interface TakeResult {
  ok: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: how long until one token is back. */
  waitMs: number;
}

class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }
  take(now: number): TakeResult {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true, remaining: Math.floor(this.tokens), waitMs: 0 };
    }
    return { ok: false, remaining: 0, waitMs: this.perMs > 0 ? Math.ceil((1 - this.tokens) / this.perMs) : Number.POSITIVE_INFINITY };
  }
}

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly scale: number,
    private readonly now: () => number,
    /** Azure seconds per real second: refill only, bucket sizes unchanged. */
    readonly timeScale = 1,
    readonly commandResults: CommandResultBucket = 'operation-status',
  ) {
    if (!(scale > 0)) throw new Error(`throttleScale must be a positive number, not ${scale}`);
    if (!(timeScale > 0)) throw new Error(`throttleTimeScale must be a positive number, not ${timeScale}`);
  }
  take(key: string, spec: BucketSpec): TakeResult {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(Math.max(1, Math.round(spec.capacity * this.scale)), (spec.perSecond * this.scale * this.timeScale) / 1000, this.now());
      this.buckets.set(key, b);
    }
    return b.take(this.now());
  }
}

/** Azure Resource Graph: about 15 queries per 5 s per user (run-command.md). */
export const GRAPH_QUOTA: BucketSpec = { capacity: 15, perSecond: 3 };

/**
 * Takes a token from every bucket the request counts against and sets the rate-limit headers ARM
 * sends; the first refusal wins. `clusterId` keys the per-cluster GET bucket.
 */
export function throttleRequest(
  throttler: Throttler,
  r: Route,
  clusterId: string | null,
  headers: Record<string, string>,
  retryAfter: (fallback: number) => number,
): ArmError | null {
  const sub = r.subscriptionId?.toLowerCase();
  // Retry-After is in Azure's (whole) seconds; with a scaled clock the real wait also goes in
  // retry-after-ms, which the SDK's retry policy reads first.
  const refused = (t: TakeResult, make: (seconds: number) => ArmError): ArmError => {
    const e = make(retryAfter(Math.max(1, Math.ceil((t.waitMs * throttler.timeScale) / 1000))));
    return throttler.timeScale === 1 ? e : { ...e, headers: { ...e.headers, 'retry-after-ms': String(Math.max(1, t.waitMs)) } };
  };
  if (r.family === 'graph') {
    const t = throttler.take('graph', GRAPH_QUOTA);
    headers['x-ms-user-quota-remaining'] = String(t.remaining);
    headers['x-ms-user-quota-resets-after'] = '00:00:05';
    return t.ok ? null : refused(t, (s) => armErrors.rpThrottled(s));
  }
  const write = r.method === 'POST';
  const arm = throttler.take(`${write ? 'writes' : 'reads'}:${sub ?? 'tenant'}`, write ? ARM_WRITES : ARM_READS);
  headers[`x-ms-ratelimit-remaining-${sub ? 'subscription' : 'tenant'}-${write ? 'writes' : 'reads'}`] = String(arm.remaining);
  if (!arm.ok) return refused(arm, (s) => armErrors.armThrottled(write ? 'write' : 'read', r.subscriptionId ?? 'tenant', s));
  if (r.family !== 'containerservice') return null;
  const b = aksBucketOf(r.operation, throttler.commandResults);
  const rp = throttler.take(`${b.name}:${b.per === 'cluster' ? clusterId?.toLowerCase() : sub}`, b.spec);
  return rp.ok ? null : refused(rp, (s) => armErrors.rpThrottled(s));
}
