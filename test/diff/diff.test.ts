import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECK_STATUSES } from '../../src/model/result.js';
import { checkKey, diffScans } from '../../src/diff/diff.js';
import type { StoredCheck } from '../../src/store/types.js';
import { check, scan } from './fixtures.js';

const keys = (items: { key: string }[]): string[] => items.map((i) => i.key);

describe('diffScans', () => {
  it('sorts checks into new, fixed and still failing by status change', () => {
    const before = scan([
      check({ id: '3.2.1', status: 'PASS' }),
      check({ id: '3.2.2', status: 'FAIL' }),
      check({ id: '3.2.3', status: 'FAIL' }),
      check({ id: '3.2.4', status: 'WARN' }),
    ]);
    const after = scan([
      check({ id: '3.2.1', status: 'FAIL' }),
      check({ id: '3.2.2', status: 'FAIL' }),
      check({ id: '3.2.3', status: 'PASS' }),
      check({ id: '3.2.4', status: 'FAIL' }),
      check({ id: '3.2.5', status: 'FAIL' }),
    ]);
    const d = diffScans(before, after);
    expect(d.firstScan).toBe(false);
    expect(keys(d.newFailures)).toEqual(['nodepool1|aks-1.8:3.2.1', 'nodepool1|aks-1.8:3.2.4', 'nodepool1|aks-1.8:3.2.5']);
    expect(d.newFailures.map((i) => i.before)).toEqual(['PASS', 'WARN', null]);
    expect(keys(d.fixed)).toEqual(['nodepool1|aks-1.8:3.2.3']);
    expect(d.fixed[0]?.after).toBe('PASS');
    expect(keys(d.stillFailing)).toEqual(['nodepool1|aks-1.8:3.2.2']);
  });

  it('keeps a check renumbered by a benchmark upgrade as the same check when its topic is the same', () => {
    const topic = 'kubelet.event-qps';
    const before = scan([check({ id: '3.2.9', benchmark: 'aks-1.0', topic, status: 'FAIL' })]);
    const after = scan([check({ id: '3.2.7', benchmark: 'aks-1.8', topic, status: 'FAIL' })]);
    const d = diffScans(before, after);
    expect(d.newFailures).toEqual([]);
    expect(d.fixed).toEqual([]);
    expect(d.stillFailing.map((i) => [i.key, i.id, i.benchmark])).toEqual([[`nodepool1|${topic}`, '3.2.7', 'aks-1.8']]);
  });

  it('without a topic, a renumbered check does read as fixed + new (nothing links the two ids)', () => {
    const d = diffScans(scan([check({ id: '3.2.9', benchmark: 'aks-1.0' })]), scan([check({ id: '3.2.7', benchmark: 'aks-1.8' })]));
    expect(keys(d.newFailures)).toEqual(['nodepool1|aks-1.8:3.2.7']);
    expect(keys(d.fixed)).toEqual(['nodepool1|aks-1.0:3.2.9']);
  });

  it('matches a check whose topic the knowledge base learnt between the scans by benchmark:id', () => {
    const before = scan([check({ id: '3.2.4', topic: null })]);
    const after = scan([check({ id: '3.2.4', topic: 'kubelet.read-only-port', disposition: 'platform' })]);
    const d = diffScans(before, after);
    expect(d.newFailures).toEqual([]);
    expect(d.fixed).toEqual([]);
    expect(keys(d.stillFailing)).toEqual(['nodepool1|kubelet.read-only-port']);
  });

  it('tells pools apart: the same check failing in a new pool is new', () => {
    const before = scan([check({ id: '3.2.4', pool: 'system' })]);
    const after = scan([check({ id: '3.2.4', pool: 'system' }), check({ id: '3.2.4', pool: 'gpu' })]);
    const d = diffScans(before, after);
    expect(d.newFailures.map((i) => i.pool)).toEqual(['gpu']);
    expect(d.stillFailing.map((i) => i.pool)).toEqual(['system']);
  });

  it('reports a FAIL of a removed pool as fixed with after null (no longer reported)', () => {
    const d = diffScans(scan([check({ id: '3.2.4', pool: 'old' })]), scan([check({ id: '3.2.4', pool: 'new', status: 'PASS' })]));
    expect(d.fixed.map((i) => [i.pool, i.before, i.after])).toEqual([['old', 'FAIL', null]]);
  });

  it('a first scan reports every FAIL as new and says so', () => {
    const current = scan([check({ id: '3.2.1' }), check({ id: '3.2.2', status: 'PASS' })]);
    const d = diffScans(null, current);
    expect(d.firstScan).toBe(true);
    expect(keys(d.newFailures)).toEqual(['nodepool1|aks-1.8:3.2.1']);
    expect(d.fixed).toEqual([]);
  });

  it('a previous attempt that did not scan is no baseline', () => {
    const failed = scan([], { outcome: { kind: 'failed', reason: 'run-command-failed', detail: 'x' } as never });
    const d = diffScans(failed, scan([check({ id: '3.2.1' })]));
    expect(d.firstScan).toBe(true);
    expect(d.newFailures).toHaveLength(1);
  });

  it('a current attempt that did not scan reports nothing, not every FAIL as fixed', () => {
    const skipped = scan([], { outcome: { kind: 'skipped', reason: 'stopped', detail: 'x' } as never });
    const d = diffScans(scan([check({ id: '3.2.1' })]), skipped);
    expect(d).toEqual({ newFailures: [], fixed: [], stillFailing: [], firstScan: false });
  });

  it('a topic shared by two checks of a pool fails when either fails', () => {
    const topic = 'files.kubelet-config.permissions';
    const before = scan([check({ id: '3.1.3', topic, status: 'PASS' }), check({ id: '3.1.4', topic, status: 'PASS' })]);
    const after = scan([check({ id: '3.1.3', topic, status: 'PASS' }), check({ id: '3.1.4', topic, status: 'FAIL' })]);
    const d = diffScans(before, after);
    expect(d.newFailures.map((i) => [i.key, i.id])).toEqual([[`nodepool1|${topic}`, '3.1.4']]);
  });
});

// Checks over a small universe of ids, pools and topics, so that scans overlap often.
const statusArb: fc.Arbitrary<StoredCheck['status']> = fc.constantFrom(...CHECK_STATUSES);
const checkArb = fc
  .record({
    id: fc.constantFrom('3.2.1', '3.2.2', '3.2.3', '3.2.4', '5.1.1'),
    pool: fc.constantFrom('system', 'user', null),
    benchmark: fc.constantFrom('aks-1.7', 'aks-1.8'),
    topic: fc.constantFrom(null, 'kubelet.anonymous-auth', 'kubelet.read-only-port'),
    status: statusArb,
  })
  .map((r) => check(r));
// One check per (pool, benchmark, id), as the store rolls them up.
const checksArb = fc.uniqueArray(checkArb, { selector: (c) => `${c.pool}|${c.benchmark}|${c.id}`, maxLength: 20 });

function failingKeys(checks: StoredCheck[]): Set<string> {
  const all = new Set(checks.map(checkKey));
  return new Set([...all].filter((k) => checks.some((c) => checkKey(c) === k && c.status === 'FAIL')));
}

describe('diffScans properties', () => {
  it('a scan compared with itself has nothing new and nothing fixed', () => {
    fc.assert(
      fc.property(checksArb, (checks) => {
        const d = diffScans(scan(checks), scan(checks));
        expect(d.newFailures).toEqual([]);
        expect(d.fixed).toEqual([]);
        expect(d.stillFailing.length).toBe(failingKeys(checks).size);
      }),
    );
  });

  it('new and still failing are exactly the current FAILs; new, fixed and still failing are disjoint', () => {
    fc.assert(
      fc.property(checksArb, checksArb, (a, b) => {
        const d = diffScans(scan(a), scan(b));
        const current = failingKeys(b);
        expect(new Set([...keys(d.newFailures), ...keys(d.stillFailing)])).toEqual(current);
        expect(d.newFailures.length + d.stillFailing.length).toBe(current.size);
        const n = new Set(keys(d.newFailures));
        const s = new Set(keys(d.stillFailing));
        for (const k of keys(d.fixed)) expect(n.has(k) || s.has(k)).toBe(false);
        for (const k of n) expect(s.has(k)).toBe(false);
        for (const i of d.fixed) expect(i.before).toBe('FAIL');
        for (const i of d.newFailures) expect(i.before).not.toBe('FAIL');
      }),
    );
  });

  it('fixed plus still failing account for every previous FAIL when keys are stable', () => {
    // Without alternate-key matching the previous FAILs split exactly into fixed and still failing.
    const stable = checksArb.map((cs) => cs.filter((c) => c.benchmark === 'aks-1.8' && c.topic === null));
    fc.assert(
      fc.property(stable, stable, (a, b) => {
        const d = diffScans(scan(a), scan(b));
        expect(d.fixed.length + d.stillFailing.length).toBe(failingKeys(a).size);
      }),
    );
  });

  it('swapping the scans swaps new and fixed for checks present in both', () => {
    // Greedy alternate-key matching may pair differently in each direction, so here a check's
    // topic follows from its id, as it does within one knowledge-base release.
    const TOPIC: Record<string, string> = { '3.2.1': 'kubelet.anonymous-auth', '3.2.4': 'kubelet.read-only-port' };
    const consistent = checksArb.map((cs) => cs.map((c) => ({ ...c, topic: TOPIC[c.id] ?? null })));
    fc.assert(
      fc.property(consistent, consistent, (a, b) => {
        const ab = diffScans(scan(a), scan(b));
        const ba = diffScans(scan(b), scan(a));
        const present = (items: { after: unknown; before: unknown }[]): number => items.filter((i) => i.after !== null && i.before !== null).length;
        expect(present(ab.newFailures)).toBe(present(ba.fixed));
        expect(ab.stillFailing.length).toBe(ba.stillFailing.length);
      }),
    );
  });
});
