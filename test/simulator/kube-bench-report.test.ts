import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { encodeEnvelope, scanEnvelopes } from '../../src/model/envelope.js';
import type { KubeBenchJsonReport, KubeBenchResult } from '../../src/model/kube-bench.js';
import { BENCHMARKS } from '../../src/model/kube-bench.js';
import { parseKubeBenchOutput } from '../../src/parse/index.js';
import { benchmarkCheckIds, generateKubeBenchReport, idsForTopic, profileFailing } from '../../src/simulator/index.js';
import { KUBE_BENCH } from '../fixtures/paths.js';

interface RawCheck {
  id: string | number;
  text: string;
  type?: string;
  scored?: boolean;
  audit?: string;
  remediation?: string;
}
interface RawControls {
  id: number | string;
  version: string;
  text: string;
  type: string;
  groups: { id: string | number; text: string; checks: RawCheck[] }[];
}

/** The cfg read independently of the generator (yaml's default schema, ids stringified). */
const rawCache = new Map<string, RawControls>();
function rawCfg(benchmark: string, target = 'node'): RawControls {
  const key = `${benchmark}/${target}`;
  let c = rawCache.get(key);
  if (!c) {
    c = parse(readFileSync(`${KUBE_BENCH}cfg/${benchmark}/${target}.yaml`, 'utf8')) as RawControls;
    rawCache.set(key, c);
  }
  return c;
}

function results(r: KubeBenchJsonReport): KubeBenchResult[] {
  return r.Controls.flatMap((c) => (c.tests ?? []).flatMap((g) => g.results ?? []));
}

function expectedStatus(c: RawCheck, failing: boolean): string {
  if (c.type === 'manual') return 'WARN';
  if (c.type === 'skip') return 'INFO';
  if (!failing) return 'PASS';
  return c.scored ? 'FAIL' : 'WARN';
}

describe('generateKubeBenchReport', () => {
  it.each(BENCHMARKS)('%s: every check of node.yaml, with its text, group and kube-bench header fields', (b) => {
    const cfg = rawCfg(b);
    const r = generateKubeBenchReport(b, new Set());
    expect(r.Controls).toHaveLength(1);
    const ctl = r.Controls[0]!;
    expect(ctl).toMatchObject({ id: '3', version: b, text: cfg.text, node_type: 'node' });
    expect(ctl.detected_version).toMatch(/^1\.\d+$/);
    expect(ctl.tests!.map((g) => g.section)).toEqual(cfg.groups.map((g) => String(g.id)));
    expect(ctl.tests!.map((g) => g.desc)).toEqual(cfg.groups.map((g) => g.text));
    const got = results(r);
    const want = cfg.groups.flatMap((g) => g.checks);
    expect(got.map((x) => x.test_number)).toEqual(want.map((c) => String(c.id)));
    expect(got.map((x) => x.test_desc)).toEqual(want.map((c) => c.text));
    expect(got.map((x) => x.scored)).toEqual(want.map((c) => c.scored === true));
    for (const x of got) {
      expect(Object.keys(x)).toEqual([
        'test_number',
        'test_desc',
        'audit',
        'AuditEnv',
        'AuditConfig',
        'type',
        'remediation',
        'test_info',
        'status',
        'actual_value',
        'scored',
        'IsMultiple',
        'expected_result',
      ]);
      expect(x.test_info).toEqual([x.remediation]);
      // kube-bench substitutes its variables with the node's paths; none may be left over.
      expect(x.audit + x.AuditConfig).not.toMatch(/\$kubelet/);
    }
  });

  it('substitutes AKS paths the way kube-bench does, in audit and remediation', () => {
    const r = results(generateKubeBenchReport('aks-1.8', new Set()));
    const byId = new Map(r.map((x) => [x.test_number, x]));
    expect(byId.get('3.1.1')!.audit).toContain('/var/lib/kubelet/kubeconfig');
    expect(byId.get('3.2.1')!.audit).toBe('/bin/ps -fC kubelet');
    expect(byId.get('3.2.1')!.AuditConfig).toBe('/bin/cat /etc/default/kubeletconfig.json');
    expect(byId.get('3.2.1')!.remediation).toContain('/etc/systemd/system/kubelet.service');
    // $azurejson is no kube-bench variable, so it stays literal, as on a real node.
    expect(byId.get('3.1.3')!.remediation).toContain('$azurejson');
  });

  it('applies the status rules: scored FAIL, unscored WARN, manual WARN, skip INFO, with consistent totals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BENCHMARKS),
        fc.constantFrom('node', 'policies', 'managedservices'),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (b, target, mask) => {
          const cfg = rawCfg(b, target);
          const checks = cfg.groups.flatMap((g) => g.checks);
          const failing = new Set(checks.filter((_, i) => (mask >> (i % 31)) & 1).map((c) => String(c.id)));
          const r = generateKubeBenchReport(b, failing, { target });
          const got = results(r);
          expect(got.map((x) => x.status)).toEqual(checks.map((c) => expectedStatus(c, failing.has(String(c.id)))));
          for (const g of r.Controls[0]!.tests!) {
            const rs = g.results ?? [];
            expect([g.pass, g.fail, g.warn, g.info]).toEqual(['PASS', 'FAIL', 'WARN', 'INFO'].map((s) => rs.filter((x) => x.status === s).length));
          }
          const c = r.Controls[0]!;
          expect([c.total_pass, c.total_fail, c.total_warn, c.total_info]).toEqual(
            ['PASS', 'FAIL', 'WARN', 'INFO'].map((s) => got.filter((x) => x.status === s).length),
          );
          expect(r.Totals).toEqual({ total_pass: c.total_pass, total_fail: c.total_fail, total_warn: c.total_warn, total_info: c.total_info });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('covers manual and skip checks (aks-1.8 policies has both)', () => {
    const statuses = results(generateKubeBenchReport('aks-1.8', new Set(), { target: 'policies' }));
    const cfg = rawCfg('aks-1.8', 'policies').groups.flatMap((g) => g.checks);
    expect(cfg.some((c) => c.type === 'skip')).toBe(true);
    expect(statuses.filter((x) => x.type === 'skip').every((x) => x.status === 'INFO')).toBe(true);
    expect(statuses.filter((x) => x.type === 'manual').every((x) => x.status === 'WARN' && x.expected_result === '')).toBe(true);
  });

  it('aks-1.0 node checks are unscored, so a failing one only WARNs', () => {
    const all = new Set(benchmarkCheckIds('aks-1.0'));
    const r = generateKubeBenchReport('aks-1.0', all);
    expect(r.Totals.total_fail).toBe(0);
    expect(r.Totals.total_warn).toBe(all.size);
  });

  it('resolves topics per benchmark: RotateKubeletServerCertificate is 3.2.11 in aks-1.0, 3.2.9 in aks-1.7/1.8', () => {
    expect(idsForTopic('aks-1.0', 'rotate-server-cert')).toEqual(['3.2.11']);
    expect(idsForTopic('aks-1.7', 'rotate-server-cert')).toEqual(['3.2.9']);
    expect(idsForTopic('aks-1.8', 'rotate-server-cert')).toEqual(['3.2.9']);
    expect([...profileFailing('aks-default', 'aks-1.8')].sort()).toEqual(['3.2.7', '3.2.9']);
    expect(profileFailing('hardened', 'aks-1.8').size).toBe(0);
  });

  it('ignores ids the benchmark does not define and rejects unknown benchmarks', () => {
    expect(generateKubeBenchReport('aks-1.8', new Set(['9.9.9'])).Totals.total_fail).toBe(0);
    expect(() => generateKubeBenchReport('cis-9.9', new Set())).toThrow(/no node controls for benchmark cis-9\.9/);
  });

  it('round-trips through the envelope and the project parser', () => {
    const failing = new Set(['3.2.4', '3.2.9', '3.1.1']);
    const report = generateKubeBenchReport('aks-1.8', failing, { detectedVersion: '1.32' });
    const log = `[aksfs] created 1 Job(s)\n${encodeEnvelope(JSON.stringify(report), { node: 'aks-apps-12345678-vmss000000', pool: 'apps', benchmark: 'aks-1.8', format: 'json' })}[aksfs] done\n`;
    const scan = scanEnvelopes(log);
    expect(scan.records).toHaveLength(1);
    const rec = scan.records[0]!;
    expect(rec.kind).toBe('payload');
    if (rec.kind !== 'payload') return;
    expect(JSON.parse(rec.payload)).toEqual(report);
    const parsed = parseKubeBenchOutput(rec.payload, 'node aks-apps-12345678-vmss000000');
    expect(parsed.nodes).toHaveLength(1);
    const node = parsed.nodes[0]!;
    expect(node.detectedVersion).toBe('1.32');
    expect(
      node.checks
        .filter((c) => c.status === 'FAIL')
        .map((c) => c.id)
        .sort(),
    ).toEqual([...failing].sort());
    expect(node.totals).toEqual({ pass: report.Totals.total_pass, fail: 3, warn: report.Totals.total_warn, info: report.Totals.total_info });
    expect(node.warnings).toEqual([]);
  });
});
