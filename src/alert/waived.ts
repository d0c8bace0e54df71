/**
 * Which diff items a waiver covers, using the knowledge base's own waiver rules (scope per cluster
 * and pool, expiry, defaults only for checks AKS manages), so an alert hides exactly what the
 * dashboard and the CLI hide.
 */
import { applyWaivers } from '../knowledge/index.js';
import type { Waiver } from '../knowledge/index.js';
import type { DiffItem } from '../diff/diff.js';

/** What the card needs of a waiver. */
export type WaiverLike = Pick<Waiver, 'id' | 'reason' | 'owner' | 'expires'>;

export type WaivedBy = (item: DiffItem) => WaiverLike | null;

/**
 * A lookup for the items of one cluster's diff. Waivers are applied per pool because a waiver may
 * be scoped to one pool of one cluster. `now` decides expiry (a waiver holds through its day, UTC).
 */
export function waiverLookup(
  items: readonly DiffItem[],
  waivers: readonly Waiver[],
  cluster: { id: string; subscriptionId: string; kubernetesVersion?: string },
  now: Date,
): WaivedBy {
  // Default waivers are version-aware: on a version where AKS did not yet set a value, none applies.
  const context = { kubernetesVersion: cluster.kubernetesVersion ?? null };
  const found = new Map<DiffItem, Waiver | null>();
  const byPool = new Map<string | null, DiffItem[]>();
  for (const it of items) {
    const list = byPool.get(it.pool);
    if (list) list.push(it);
    else byPool.set(it.pool, [it]);
  }
  for (const [pool, list] of byPool) {
    const scope = { clusterId: cluster.id, subscriptionId: cluster.subscriptionId, ...(pool !== null ? { pool } : {}) };
    const { waivedBy } = applyWaivers(list, waivers, scope, now, context);
    list.forEach((it, i) => found.set(it, waivedBy[i] ?? null));
  }
  // Items outside the list given here (a caller's mistake) are looked up on demand, not guessed.
  return (it) => {
    const hit = found.get(it);
    if (hit !== undefined) return hit;
    const scope = { clusterId: cluster.id, subscriptionId: cluster.subscriptionId, ...(it.pool !== null ? { pool: it.pool } : {}) };
    return applyWaivers([it], waivers, scope, now, context).waivedBy[0] ?? null;
  };
}
