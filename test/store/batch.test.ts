import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entityWireSize, MAX_BATCH_BYTES, MAX_BATCH_ENTITIES, planBatches } from '../../src/store/batch.js';
import { CHUNK_BYTES, chunkProps, pack, readChunks, unpack } from '../../src/store/blob.js';

describe('planBatches', () => {
  it('splits 250 entities of one partition into 100, 100, 50, in order', () => {
    const es = Array.from({ length: 250 }, (_, i) => ({ partitionKey: 'p', rowKey: `r${i}` }));
    const batches = planBatches(es, () => 10);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(es);
  });

  it('keeps every batch within one partition, the count and the byte limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partitionKey: fc.constantFrom('a', 'b', 'c'), size: fc.integer({ min: 1, max: 1_500_000 }) }), { maxLength: 400 }),
        (es) => {
          const batches = planBatches(es, (e) => e.size);
          for (const b of batches) {
            expect(new Set(b.map((e) => e.partitionKey)).size).toBe(1);
            expect(b.length).toBeLessThanOrEqual(MAX_BATCH_ENTITIES);
            expect(b.reduce((n, e) => n + e.size, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
          }
          // Nothing lost, and each partition keeps its order.
          for (const pk of ['a', 'b', 'c']) {
            expect(batches.flat().filter((e) => e.partitionKey === pk)).toEqual(es.filter((e) => e.partitionKey === pk));
          }
        },
      ),
    );
  });

  it('estimates binary as base64', () => {
    expect(entityWireSize({ d0: new Uint8Array(64_000) })).toBeGreaterThan((64_000 * 4) / 3);
  });
});

describe('pack and unpack', () => {
  it('round-trips values through chunks of at most 64,000 bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const p = pack(v, 2);
        const chunks = p.parts.flatMap((part) => readChunks(chunkProps(part), part.length) ?? []);
        for (const c of chunks) expect(c.length).toBeLessThanOrEqual(CHUNK_BYTES);
        expect(unpack(chunks, p.bytes, p.sha256)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses chunks that do not match their hash', () => {
    const p = pack({ a: 'x'.repeat(1000) });
    const chunks = p.parts.flat().map((c) => Uint8Array.from(c));
    chunks[0]![20] = chunks[0]![20]! ^ 1;
    expect(() => unpack(chunks, p.bytes, p.sha256)).toThrow(/sha256/);
  });
});
