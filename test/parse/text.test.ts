import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { detectFormat, normaliseKubeBench, parseKubeBenchOutput, parseKubeBenchText } from '../../src/parse/index.js';
import { printKubeBenchText } from '../fixtures/kube-bench-text.js';
import { sampleReport } from '../fixtures/reports.js';

describe('kube-bench text output', () => {
  const report = sampleReport();
  const fromJson = normaliseKubeBench(report, 'json');

  for (const variant of [
    { name: 'current release', opts: {} },
    { name: 'coloured on a terminal', opts: { colour: true } },
    { name: 'old release (bare "== Summary ==")', opts: { oldBanners: true } },
    { name: 'with --include-test-output', opts: { includeTestOutput: true } },
  ]) {
    it(`reads what kube-bench prints: ${variant.name}`, () => {
      const text = printKubeBenchText(report, variant.opts);
      expect(detectFormat(text)).toBe('text');
      const n = parseKubeBenchText(text, 'out.txt');
      expect(n.warnings).toEqual([]);
      expect(n.totals).toEqual(fromJson.totals);
      expect(n.checks.map((c) => [c.id, c.status, c.title, c.assessment, c.kind, c.nodeType])).toEqual(
        fromJson.checks.map((c) => [c.id, c.status, c.title, c.assessment, c.kind, c.nodeType]),
      );
      // Headers: the controls file and each group; not counted as checks.
      const ctl = report.Controls[0]!;
      expect(n.headers.map((h) => h.id)).toEqual([ctl.id, ...ctl.tests!.map((g) => g.section)]);
      expect(n.headers.length).toBeGreaterThanOrEqual(3);
      // Remediations (multi-line) are attached to FAIL and WARN checks.
      for (const c of n.checks.filter((x) => x.status === 'FAIL' || (x.status === 'WARN' && !x.reason))) {
        const j = fromJson.checks.find((x) => x.id === c.id)!;
        expect(c.remediation).toBe(j.remediation!.trim());
      }
      expect(n.checks.find((c) => c.id === '4.2.21')!.reason).toBe('failed to run: "/bin/ps -fC kubelet": exit status 1');
      const withOutput = n.checks.filter((c) => c.actual !== null);
      if (variant.opts.includeTestOutput) {
        const failsWithActual = fromJson.checks.filter((c) => c.status === 'FAIL' && c.actual);
        expect(withOutput.map((c) => c.id)).toEqual(failsWithActual.map((c) => c.id));
        for (const c of withOutput) expect(c.actual).toBe(fromJson.checks.find((x) => x.id === c.id)!.actual);
      } else expect(withOutput).toEqual([]);
    });
  }

  it('warns when the printed summary disagrees with the check lines', () => {
    const text = printKubeBenchText(report).replace(/^(\d+) checks PASS$/m, (_m, n: string) => `${Number(n) + 5} checks PASS`);
    const n = parseKubeBenchText(text, 'out.txt');
    expect(n.totals).toEqual(fromJson.totals);
    expect(n.warnings).toHaveLength(1);
    expect(n.warnings[0]).toMatch(/declared totals disagree/);
  });

  it('reads a pasted list with doubled ids and prose, and skips everything that is not a check', () => {
    const text = [
      '# notes from the on-call',
      '1. [INFO] 3 Worker Node Security Configuration',
      '2. [INFO] 3.1 Worker Node Configuration Files',
      '3. [FAIL] 3.1.1 3.1.1 Ensure that the kubeconfig file permissions are set to 644 or more restrictive (Automated)',
      '- [PASS] 3.1.2 Ensure that the kubelet kubeconfig file ownership is set to root:root',
      '',
      '## 3.1.1 why?',
      'Because [FAIL] is scary.',
    ].join('\n');
    const r = parseKubeBenchOutput(text, 'pasted.md');
    expect(r.format).toBe('text');
    const n = r.nodes[0]!;
    expect(n.checks.map((c) => `${c.status} ${c.id} ${c.title}`)).toEqual([
      'FAIL 3.1.1 Ensure that the kubeconfig file permissions are set to 644 or more restrictive',
      'PASS 3.1.2 Ensure that the kubelet kubeconfig file ownership is set to root:root',
    ]);
    expect(n.headers).toHaveLength(2);
  });

  it('rejects text with no check lines, naming the input', () => {
    expect(() => parseKubeBenchOutput('hello\nworld\n', 'notes.txt', { format: 'text' })).toThrowError(InputError);
    expect(() => parseKubeBenchOutput('hello\nworld\n', 'notes.txt', { format: 'text' })).toThrow(/^notes\.txt: has no kube-bench check lines/);
  });
});

describe('node type from the controls header', () => {
  it.each([
    ['Worker Node Security Configuration', 'node'],
    ['Control Plane Security Configuration', 'master'],
    ['Master Node Security Configuration', 'master'],
    ['Control Plane Components', 'master'],
    ['Control Plane Configuration', 'controlplane'],
    ['Etcd Node Configuration', 'etcd'],
    ['Kubernetes Policies', 'policies'],
    ['Managed Services', 'managedservices'],
  ])('"%s" → %s', (title, type) => {
    const n = parseKubeBenchText(`[INFO] 1 ${title}\n[INFO] 1.1 Group\n[FAIL] 1.1.1 Ensure something (Automated)\n`, 'x');
    expect(n.checks[0]!.nodeType).toBe(type);
  });

  it('a check before any header has no node type', () => {
    expect(parseKubeBenchText('[FAIL] 1.1.1 Ensure something (Automated)\n', 'x').checks[0]!.nodeType).toBeNull();
  });
});

describe('check lines pasted into wikis and issues', () => {
  const parse = (text: string) => parseKubeBenchOutput(text, 'pasted.md');
  const lines = (text: string) => {
    const r = parse(text);
    return r.nodes[0]!.checks.map((c) => `${c.status} ${c.id} ${c.title}${c.assessment ? ` (${c.assessment})` : ''}`);
  };

  it('markdown bullets and numbered lists', () => {
    expect(
      lines(
        '- [FAIL] 3.2.4 Ensure that the --read-only-port is secured (Automated)\n1. [PASS] 3.2.5 Ensure that the --streaming-connection-idle-timeout argument is not set to 0 (Automated)\n',
      ),
    ).toEqual([
      'FAIL 3.2.4 Ensure that the --read-only-port is secured (Automated)',
      'PASS 3.2.5 Ensure that the --streaming-connection-idle-timeout argument is not set to 0 (Automated)',
    ]);
  });

  it('status markers wrapped in HTML or written as entities', () => {
    const text = [
      '<p><span style="color:red">[FAIL]</span> 3.2.4 Ensure that the --read-only-port is secured (Automated)</p>',
      '<li><b>[PASS]</b> 3.2.1 Ensure that the --anonymous-auth argument is set to false (Automated)</li>',
      '&#91;WARN&#93; 3.2.9 Verify that the RotateKubeletServerCertificate argument is set to true (Automated)',
      '&lsqb;FAIL&rsqb; 3.1.1 Ensure that the kubeconfig file permissions are set to 644 or more restrictive (Automated)',
      '[PASS] 3.1.2 Ensure that the kubelet kubeconfig file ownership is set to root&#58;root (Automated)',
    ].join('\n');
    expect(lines(text)).toEqual([
      'FAIL 3.2.4 Ensure that the --read-only-port is secured (Automated)',
      'PASS 3.2.1 Ensure that the --anonymous-auth argument is set to false (Automated)',
      'WARN 3.2.9 Verify that the RotateKubeletServerCertificate argument is set to true (Automated)',
      'FAIL 3.1.1 Ensure that the kubeconfig file permissions are set to 644 or more restrictive (Automated)',
      'PASS 3.1.2 Ensure that the kubelet kubeconfig file ownership is set to root:root (Automated)',
    ]);
  });

  it('"(Scored)" wrapped onto the next line belongs to the check above', () => {
    const r = parse(
      '[FAIL] 2.1.5 Ensure that the --read-only-port argument is set to 0\n(Scored)\n[WARN] 2.2.8 Ensure that the client certificate authorities file ownership is set to root:root\n  (Not Scored)\n',
    );
    const [a, b] = r.nodes[0]!.checks;
    expect([a!.title, a!.assessment, a!.scored]).toEqual(['Ensure that the --read-only-port argument is set to 0', 'Scored', true]);
    expect([b!.assessment, b!.scored]).toEqual(['Not Scored', false]);
    // A stray "(Scored)" after prose is not attached to anything.
    expect(parse('[FAIL] 2.1.5 Ensure that the --read-only-port argument is set to 0\nsome note\n(Scored)\n').nodes[0]!.checks[0]!.assessment).toBeNull();
  });

  it('a leading log line and "..." lines standing for cut checks', () => {
    const text = [
      'ERROR 2026/11/20 kube-bench: could not read /etc/kubernetes/azure.json',
      'Warning: Kubernetes version was not auto-detected',
      '[INFO] 3 Worker Node Security Configuration',
      '[FAIL] 3.2.4 Ensure that the --read-only-port is secured (Automated)',
      '...',
      '[PASS] 3.2.9 Verify that the RotateKubeletServerCertificate argument is set to true (Automated)',
      '…',
    ].join('\n');
    const r = parse(text);
    expect(r.nodes[0]!.checks.map((c) => `${c.status} ${c.id}`)).toEqual(['FAIL 3.2.4', 'PASS 3.2.9']);
    expect(r.nodes[0]!.checks[0]!.nodeType).toBe('node');
  });

  it('summary-only and remediation-only text is refused with one line naming the input', () => {
    const summary = '== Summary node ==\n17 checks PASS\n4 checks FAIL\n0 checks WARN\n0 checks INFO\n';
    const remediation = '== Remediations node ==\n3.2.4 If using a Kubelet config file, edit the file to set readOnlyPort to 0.\n';
    for (const t of [summary, remediation]) {
      expect(() => parse(t)).toThrowError(InputError);
      expect(() => parse(t)).toThrow(/^pasted\.md: [^\n]+$/);
    }
  });
});
