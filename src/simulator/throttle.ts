/**
 * ARM and AKS resource-provider throttling as token buckets (shared/reference/run-command.md,
 * "Throttling"). `scale` shrinks every bucket and its refill rate together so tests can reach
 * the limits with a handful of requests.
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
  ) {
    if (!(scale > 0)) throw new Error(`throttleScale must be a positive number, not ${scale}`);
  }
  take(key: string, spec: BucketSpec): TakeResult {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(Math.max(1, Math.round(spec.capacity * this.scale)), (spec.perSecond * this.scale) / 1000, this.now());
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
  if (r.family === 'graph') {
    const t = throttler.take('graph', GRAPH_QUOTA);
    headers['x-ms-user-quota-remaining'] = String(t.remaining);
    headers['x-ms-user-quota-resets-after'] = '00:00:05';
    return t.ok ? null : armErrors.rpThrottled(retryAfter(Math.max(1, Math.ceil(t.waitMs / 1000))));
  }
  const write = r.method === 'POST';
  const arm = throttler.take(`${write ? 'writes' : 'reads'}:${sub ?? 'tenant'}`, write ? ARM_WRITES : ARM_READS);
  headers[`x-ms-ratelimit-remaining-${sub ? 'subscription' : 'tenant'}-${write ? 'writes' : 'reads'}`] = String(arm.remaining);
  if (!arm.ok) return armErrors.armThrottled(write ? 'write' : 'read', r.subscriptionId ?? 'tenant', retryAfter(Math.max(1, Math.ceil(arm.waitMs / 1000))));
  if (r.family !== 'containerservice') return null;
  let rp;
  if (r.operation === 'ManagedClusters_List' || r.operation === 'ManagedClusters_ListByResourceGroup') rp = throttler.take(`aks-list:${sub}`, AKS_LIST);
  else if (r.operation === 'ManagedClusters_Get') rp = throttler.take(`aks-get:${clusterId?.toLowerCase()}`, AKS_GET);
  else if (r.operation === 'ManagedClusters_GetCommandResult') rp = throttler.take(`aks-op:${sub}`, AKS_OPERATION_STATUS);
  else rp = throttler.take(`aks-other:${sub}`, AKS_OTHER);
  return rp.ok ? null : armErrors.rpThrottled(retryAfter(Math.max(1, Math.ceil(rp.waitMs / 1000))));
}
