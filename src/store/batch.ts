/**
 * Groups writes into entity-group transactions: one table, one PartitionKey, at most 100 entities
 * and 4 MiB of request body each. Larger sets are split; each partition keeps its order, so a
 * caller can rely on earlier entities being written before later ones.
 */

export const MAX_BATCH_ENTITIES = 100;
/** Below the 4 MiB limit: the multipart framing and JSON escaping add to our estimate. */
export const MAX_BATCH_BYTES = 3_500_000;

export interface BatchLimits {
  maxEntities: number;
  maxBytes: number;
}

interface Keyed {
  partitionKey: string;
}

/** Splits entities into batches; batches of one partition are consecutive and in input order. */
export function planBatches<T extends Keyed>(
  entities: readonly T[],
  sizeOf: (e: T) => number,
  limits: BatchLimits = { maxEntities: MAX_BATCH_ENTITIES, maxBytes: MAX_BATCH_BYTES },
): T[][] {
  if (limits.maxEntities < 1 || limits.maxBytes < 1) throw new Error('planBatches: limits must be positive');
  const byPartition = new Map<string, T[]>();
  for (const e of entities) {
    const list = byPartition.get(e.partitionKey);
    if (list) list.push(e);
    else byPartition.set(e.partitionKey, [e]);
  }
  const batches: T[][] = [];
  for (const list of byPartition.values()) {
    let current: T[] = [];
    let bytes = 0;
    for (const e of list) {
      const size = sizeOf(e);
      if (current.length > 0 && (current.length >= limits.maxEntities || bytes + size > limits.maxBytes)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(e);
      bytes += size;
    }
    if (current.length) batches.push(current);
  }
  return batches;
}

/** Approximate JSON size of an entity on the wire: binary goes as base64 with a type annotation. */
export function entityWireSize(entity: Record<string, unknown>): number {
  let n = 2;
  for (const [k, v] of Object.entries(entity)) {
    n += k.length + 4;
    if (v instanceof Uint8Array) n += Math.ceil(v.length / 3) * 4 + k.length + 30;
    else if (typeof v === 'string') n += v.length * 1.1 + 2;
    else n += 24;
  }
  return Math.ceil(n);
}
