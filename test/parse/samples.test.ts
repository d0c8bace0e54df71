import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKubeBenchBytes } from '../../src/parse/index.js';
import { HAS_SHARED, KUBE_BENCH, SAMPLES, SEED, SHARED } from '../fixtures/paths.js';

const read = (p: string) => readFileSync(p);

describe('kube-bench samples', () => {
  it('every sample file has its expectations below', () => {
    // A new file in samples/ fails here until a test states what it must parse to.
    expect(readdirSync(SAMPLES).sort()).toEqual(['cmd_testdata_result.json', 'real-node-output-cis-1.10-EXCERPT.json']);
  });

  it('reads the real cis-1.10 node output excerpt (current schema)', () => {
    const r = parseKubeBenchBytes(read(`${SAMPLES}real-node-output-cis-1.10-EXCERPT.json`), 'excerpt.json');
    expect(r.format).toBe('json');
    expect(r.nodes).toHaveLength(1);
    const n = r.nodes[0]!;
    expect(n.benchmark).toBe('cis-1.10');
    expect(n.detectedVersion).toBe('1.31');
    expect(n.checks).toHaveLength(5);
    expect(n.totals).toEqual({ pass: 3, fail: 2, warn: 0, info: 0 });
    const c = n.checks[0]!;
    expect(c).toMatchObject({
      id: '4.1.1',
      section: '4.1',
      status: 'FAIL',
      scored: true,
      kind: 'automated',
      assessment: 'Automated',
      nodeType: 'node',
      benchmark: 'cis-1.10',
      title: 'Ensure that the kubelet service file permissions are set to 600 or more restrictive',
      expected: "'permissions' is present",
      actual: null,
      reason: null,
    });
    expect(c.remediation).toContain('chmod 600');
    expect(n.checks[1]!.actual).toBe('File not found');
    // The excerpt keeps the full run's counters: the checks win, and warnings say so.
    expect(n.warnings.some((w) => w.startsWith('Totals: declared totals disagree'))).toBe(true);
  });

  it("reads kube-bench's own fixture in the old schema, whose totals disagree with its results", () => {
    const r = parseKubeBenchBytes(read(`${SAMPLES}cmd_testdata_result.json`), 'fixture.json');
    const n = r.nodes[0]!;
    // The old schema wrote the bare CIS edition; it is named as kube-bench names it today.
    expect(n.benchmark).toBe('cis-1.5');
    expect(n.detectedVersion).toBeNull();
    expect(n.checks.map((c) => [c.id, c.status, c.nodeType])).toEqual([
      ['1.1.1', 'PASS', 'master'],
      ['2.1', 'PASS', 'etcd'],
      ['3.1.1', 'WARN', 'controlplane'],
    ]);
    expect(n.totals).toEqual({ pass: 2, fail: 0, warn: 1, info: 0 });
    expect(n.warnings.find((w) => w.startsWith('Totals'))).toContain('pass 49 declared, 2 counted');
    expect(n.checks[0]!.assessment).toBe('Scored');
  });

  it('reads the seed as pasted into a document: 23 checks (14 FAIL, 7 PASS, 2 WARN) and 3 headers', () => {
    const r = parseKubeBenchBytes(read(SEED), 'seed.txt');
    expect(r.format).toBe('text');
    const n = r.nodes[0]!;
    expect(n.checks).toHaveLength(23);
    expect(n.totals).toEqual({ pass: 7, fail: 14, warn: 2, info: 0 });
    expect(n.headers).toEqual([
      { id: '2', title: 'Worker Node Security Configuration' },
      { id: '2.1', title: 'Kubelet' },
      { id: '2.2', title: 'Configuration Files' },
    ]);
    expect(n.benchmark).toBeNull();
    expect(n.checks.every((c) => c.nodeType === 'node')).toBe(true);
    const byId = new Map(n.checks.map((c) => [c.id, c]));
    // The doubled id "2.2.4 2.2.4 Ensure ..." is read once.
    expect(byId.get('2.2.4')!.title).toBe('Ensure that the kubelet service file ownership is set to root:root');
    // Checks without "(Scored)" keep scored unknown.
    // Without "(Scored)" a FAIL line is still a scored check: kube-bench WARNs unscored failures.
    expect(byId.get('2.1.14')).toMatchObject({ status: 'FAIL', scored: true, assessment: null });
    expect(byId.get('2.2.8')).toMatchObject({ status: 'WARN', scored: null, assessment: null });
    expect(byId.get('2.1.5')).toMatchObject({ status: 'FAIL', scored: true, assessment: 'Scored', section: '2.1' });
    expect(byId.get('2.2.8')!.title).toBe('Ensure that the client certificate authorities file ownership is set to root:root');
    // Markdown notes after the list are prose, not checks.
    expect(n.checks.every((c) => /^2\.[12]\.\d+$/.test(c.id))).toBe(true);
  });

  it.runIf(HAS_SHARED)('the vendored kube-bench data is identical to shared/', () => {
    for (const f of ['samples/cmd_testdata_result.json', 'samples/real-node-output-cis-1.10-EXCERPT.json', 'job-aks.yaml']) {
      expect(readFileSync(`${KUBE_BENCH}${f}`, 'utf8')).toBe(readFileSync(`${SHARED}kube-bench/${f}`, 'utf8'));
    }
    for (const b of readdirSync(`${SHARED}kube-bench/cfg`)) {
      if (b.endsWith('.yaml')) continue;
      for (const f of readdirSync(`${SHARED}kube-bench/cfg/${b}`)) {
        expect(readFileSync(`${KUBE_BENCH}cfg/${b}/${f}`, 'utf8')).toBe(readFileSync(`${SHARED}kube-bench/cfg/${b}/${f}`, 'utf8'));
      }
    }
    expect(readFileSync(SEED, 'utf8')).toBe(readFileSync(`${SHARED}seed/000_cc72c5e56d244c41.txt`, 'utf8'));
  });
});
