import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLUSTER_KEY_CHARS, clusterKey, decodeKey, encodeKey, invertedTime, joinKey, MAX_KEY_LENGTH } from '../../src/store/keys.js';
import { keys } from '../../src/store/layout.js';

/** What Table Storage refuses in PartitionKey and RowKey (/ \\ # ? and control characters), plus our separator. */
function forbidden(key: string): string[] {
  return [...key].filter((ch) => '/\\#?~'.includes(ch) || ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f));
}

describe('key encoding', () => {
  it('round-trips any string, including lone surrogates and astral characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(decodeKey(encodeKey(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('never emits a character Table Storage forbids, nor the separator', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(forbidden(encodeKey(s))).toEqual([]);
        expect(encodeKey(s)).toMatch(/^[A-Za-z0-9._!-]*$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective, so two names never share a key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        fc.pre(a !== b);
        expect(encodeKey(a)).not.toBe(encodeKey(b));
      }),
    );
  });

  it('joined keys of different parts never collide', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }),
        (a, b) => {
          fc.pre(JSON.stringify(a) !== JSON.stringify(b));
          expect(joinKey('t', ...a.map(encodeKey))).not.toBe(joinKey('t', ...b.map(encodeKey)));
        },
      ),
    );
  });

  it('encodes an ARM id readably, and the same cluster in any case to one key', () => {
    const id = '/subscriptions/0000-1/resourceGroups/RG_1/providers/Microsoft.ContainerService/managedClusters/aks-prod';
    expect(clusterKey(id)).toBe('!2fsubscriptions!2f0000-1!2fresourcegroups!2frg_1!2fproviders!2fmicrosoft.containerservice!2fmanagedclusters!2faks-prod');
    expect(clusterKey(id.toUpperCase())).toBe(clusterKey(id));
    expect(decodeKey(clusterKey(id))).toBe(id.toLowerCase());
  });

  it('gives any id a key that fits: too long, it keeps its start and ends in a hash, still one key per id', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 1500 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1500 }), (a, b) => {
        const ka = clusterKey(`/${a}`);
        expect(ka.length).toBeLessThanOrEqual(CLUSTER_KEY_CHARS);
        expect(keys.nodesPartition(`/${a}`, 'x'.repeat(64)).length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
        expect(keys.nodePart(a, 999).length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
        if (a.toLowerCase() !== b.toLowerCase()) expect(ka).not.toBe(clusterKey(`/${b}`));
      }),
    );
    const long = clusterKey('/'.repeat(1024));
    expect(long).toMatch(/^(!2f)+!x[0-9a-f]{64}$/);
    expect(() => decodeKey(long)).toThrow(/broken escape/);
    // An AKS id with the longest ASCII names ARM allows keeps its readable key.
    const arm = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${'r(.)'.repeat(22)}rg/providers/Microsoft.ContainerService/managedClusters/${'a'.repeat(63)}`;
    expect(decodeKey(clusterKey(arm))).toBe(arm.toLowerCase());
  });

  it('rejects keys it did not write', () => {
    expect(() => decodeKey('a/b')).toThrow(/table key/);
    expect(() => decodeKey('ab!z')).toThrow(/broken escape/);
    expect(() => decodeKey('ab!u12')).toThrow(/broken escape/);
    expect(() => clusterKey('  ')).toThrow(/cluster id: is empty/);
    expect(() => keys.nodePrefix('')).toThrow(/node name/);
  });

  it('inverted time sorts later times first', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date('9999-01-01'), noInvalidDate: true }),
        fc.date({ min: new Date(0), max: new Date('9999-01-01'), noInvalidDate: true }),
        (a, b) => {
          fc.pre(a.getTime() < b.getTime());
          expect(invertedTime(b.toISOString()) < invertedTime(a.toISOString())).toBe(true);
        },
      ),
    );
    expect(() => invertedTime('not a time')).toThrow(/time/);
  });
});
