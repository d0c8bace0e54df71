/**
 * ARM and AKS resource-provider throttling as token buckets (shared/reference/run-command.md,
 * "Throttling"). `scale` shrinks every bucket and its refill rate together so tests can reach
 * the limits with a handful of requests.
 */
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
