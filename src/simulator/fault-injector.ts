/**
 * Decides which injected fault, if any, answers a request: seeded random faults, subscription
 * faults, then cluster faults. Every list of faults is matched by one loop that counts hits
 * against each fault's `times`, so "the first N matching requests" means the same everywhere.
 */
import { randomUUID } from 'node:crypto';
import type { ArmError } from './arm-errors.js';
import { armErrors } from './arm-errors.js';
import { clusterId } from './arm-bodies.js';
import type { ClusterSpec, Fault, FleetSpec, OperationName, SubscriptionFault, SubscriptionSpec } from './fleet-spec.js';
import type { Rng } from './random.js';
import { actionOf, CLUSTER_OPS } from './router.js';

/** The connection is dropped instead of answered. */
export const RESET = 'reset' as const;

/** What an injected fault does to a request, and the name the request log records. */
export interface Injected {
  fault: string;
  reply: ArmError | typeof RESET;
}

type FaultOf<K extends Fault['kind']> = Extract<Fault, { kind: K }>;

export class FaultInjector {
  private readonly hits = new Map<string, number>();

  constructor(
    private readonly rng: Rng,
    /** Retry-After seconds, given the fault's own fallback. */
    private readonly retryAfter: (fallback: number) => number,
  ) {}

  /**
   * The one matching loop: the first fault of `owner` that `matches` and has hits left of its
   * `times`, which this call uses up by one.
   */
  private take<F extends object>(owner: string, faults: readonly F[], matches: (f: F) => boolean): F | null {
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i] as F;
      if (!matches(f)) continue;
      const times = 'times' in f && typeof f.times === 'number' ? f.times : undefined;
      const key = `${owner}#${i}`;
      const hits = this.hits.get(key) ?? 0;
      if (times !== undefined && hits >= times) continue;
      this.hits.set(key, hits + 1);
      return f;
    }
    return null;
  }

  /** The first fault of this kind on the cluster with hits left (used up by one). */
  counted<K extends Fault['kind']>(c: ClusterSpec, kind: K): FaultOf<K> | null {
    return this.take(clusterId(c), c.faults, (f): boolean => f.kind === kind) as FaultOf<K> | null;
  }

  /** Seeded 429 / 5xx / reset at the fleet's `randomFaults` rates. */
  random(rates: FleetSpec['randomFaults']): Injected | null {
    if (!rates) return null;
    const x = this.rng.next();
    if (x < rates.throttle) return { fault: 'random-throttle', reply: armErrors.tooManyRequests(this.retryAfter(1)) };
    if (x < rates.throttle + rates.serverError) {
      return { fault: 'random-server-error', reply: this.rng.chance(0.5) ? armErrors.internal(randomUUID()) : armErrors.unavailable(this.retryAfter(1)) };
    }
    if (x < rates.throttle + rates.serverError + rates.reset) return { fault: 'random-reset', reply: RESET };
    return null;
  }

  subscription(sub: SubscriptionSpec, op: OperationName, principal: string): Injected | null {
    const f = this.take<SubscriptionFault>(`/subscriptions/${sub.subscriptionId}`, sub.faults, (x) => !x.operation || x.operation === op);
    if (!f) return null;
    const fault = `subscription-${f.kind}`;
    if (f.kind === 'forbidden') return { fault, reply: armErrors.authorizationFailed(principal, actionOf(op), `/subscriptions/${sub.subscriptionId}`) };
    return { fault, reply: this.transport(f) };
  }

  /** Faults on an existing cluster's own operations: transport faults, then deleted, then forbidden. */
  cluster(c: ClusterSpec, op: OperationName, principal: string): Injected | null {
    const hit = this.take(clusterId(c), c.faults, (f) => isTransport(f) && (f.operation ? f.operation === op : CLUSTER_OPS.has(op)));
    if (hit && isTransport(hit)) return { fault: hit.kind, reply: this.transport(hit) };
    if (c.faults.some((f) => f.kind === 'deleted')) return { fault: 'deleted', reply: armErrors.clusterNotFound(c.resourceGroup, c.name) };
    if (c.faults.some((f) => f.kind === 'forbidden' && f.operation === op)) {
      return { fault: 'forbidden', reply: armErrors.authorizationFailed(principal, actionOf(op), clusterId(c)) };
    }
    return null;
  }

  private transport(f: { kind: 'throttle' | 'server-error' | 'reset'; status?: 500 | 503 }): ArmError | typeof RESET {
    if (f.kind === 'reset') return RESET;
    if (f.kind === 'throttle') return armErrors.tooManyRequests(this.retryAfter(1));
    return f.status === 503 ? armErrors.unavailable(this.retryAfter(1)) : armErrors.internal(randomUUID());
  }
}

function isTransport(f: Fault): f is FaultOf<'throttle' | 'server-error' | 'reset'> {
  return f.kind === 'throttle' || f.kind === 'server-error' || f.kind === 'reset';
}
