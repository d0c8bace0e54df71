import { describe, expect, it } from 'vitest';
import { fitList, rollup } from '../../src/store/rollup.js';
import type { Classifier } from '../../src/store/types.js';
import { check, classify, clusterRef, node, scanned, skipped } from './fixtures.js';
import { countTotals } from '../../src/model/result.js';

describe('rollup', () => {
  it('rolls checks up per pool: worst status, per-status node counts and failing nodes', () => {
    const a = node('n-a', 'p1', ['3.2.4']);
    const b = node('n-b', 'p1', []);
    b.checks = b.checks.map((c) => (c.id === '3.2.5' ? { ...c, status: 'WARN' } : c));
    b.totals = countTotals(b.checks);
    const c = node('n-c', 'p2', ['3.2.4', '3.2.5']);
    const r = rollup(scanned(clusterRef('x'), [a, b, c]), classify);
    const get = (pool: string, id: string): unknown => {
      const s = r.checks.find((k) => k.pool === pool && k.id === id);
      return s && [s.status, s.counts, s.failingNodes];
    };
    expect(get('p1', '3.2.4')).toEqual(['FAIL', { pass: 1, fail: 1, warn: 0, info: 0 }, ['n-a']]);
    expect(get('p1', '3.2.5')).toEqual(['WARN', { pass: 1, fail: 0, warn: 1, info: 0 }, []]);
    expect(get('p2', '3.2.5')).toEqual(['FAIL', { pass: 0, fail: 1, warn: 0, info: 0 }, ['n-c']]);
    expect(r.totals).toEqual({ pass: 23, fail: 3, warn: 1, info: 0 });
    // 3.2.4 fails in two pools but is one failing check; 3.2.5 has no topic, so it counts as unknown.
    expect(r.triage).toEqual({ action: 1, unknown: 1 });
    expect(r.failingChecks).toEqual(['aks-1.8:3.2.4', 'aks-1.8:3.2.5']);
    expect(r.failingTopics).toEqual(['kubelet-read-only-port']);
    expect(r.pools).toEqual(['p1', 'p2']);
  });

  it('asks the classifier once per distinct check', () => {
    let calls = 0;
    const counting: Classifier = (c) => {
      calls++;
      return classify(c, null);
    };
    rollup(
      scanned(
        clusterRef('x'),
        Array.from({ length: 20 }, (_, i) => node(`n${i}`, 'p')),
      ),
      counting,
    );
    expect(calls).toBe(9);
  });

  it('orders check ids numerically and handles an outcome without nodes', () => {
    const n = node('n', 'p', []);
    n.checks = ['3.2.10', '3.2.9', '3.10.1', '3.2.1'].map((id) => check(id, `t${id}`, 'PASS'));
    expect(rollup(scanned(clusterRef('x'), [n]), classify).checks.map((c) => c.id)).toEqual(['3.2.1', '3.2.9', '3.2.10', '3.10.1']);
    const s = rollup(skipped(clusterRef('x'), '2026-11-01T00:00:00Z'), classify);
    expect([s.checks, s.nodes, s.totals]).toEqual([[], [], { pass: 0, fail: 0, warn: 0, info: 0 }]);
  });

  it('cuts a list to fit a property and says so', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `topic-number-${i}`);
    const f = fitList(many);
    expect(f.truncated).toBe(true);
    expect(f.json.length).toBeLessThanOrEqual(30_000);
    expect(JSON.parse(f.json)).toEqual(many.slice(0, (JSON.parse(f.json) as string[]).length));
    expect(fitList(['a', 'b'])).toEqual({ json: '["a","b"]', truncated: false });
  });
});
