import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/model/envelope.js';
import { ROOT } from '../fixtures/paths.js';
import { sampleReport } from '../fixtures/reports.js';
import { runCli } from '../support/cli.js';

const SEED = 'examples/seed-aks-node.txt';
const tmp = mkdtempSync(join(tmpdir(), 'aksfs-cli-'));
const write = (name: string, body: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, body);
  return p;
};

describe('aks-fleet-scanner explain', () => {
  it('prints the seed grouped by status with totals, without colour off a TTY', async () => {
    const r = await runCli(['explain', SEED]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const order = ['FAIL (14)', 'WARN (2)', 'PASS (7)'].map((h) => r.stdout.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.stdout).toContain('14 FAIL, 2 WARN, 7 PASS, 0 INFO');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('colours on a TTY, and honours NO_COLOR', async () => {
    expect((await runCli(['explain', SEED], { isTTY: true })).stdout).toContain('\u001b[31m[FAIL]');
    expect((await runCli(['explain', SEED], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
  });

  it('--format json has the documented fields', async () => {
    const r = await runCli(['explain', SEED, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.source).toMatchObject({ format: 'text', benchmark: null });
    expect(j.totals).toEqual({ pass: 7, fail: 14, warn: 2, info: 0 });
    expect(j.checks).toHaveLength(23);
    for (const c of j.checks)
      for (const k of ['id', 'status', 'title', 'scored', 'benchmark', 'expected', 'actual', 'remediation']) expect(c).toHaveProperty(k);
    expect(j.warnings).toEqual([]);
    expect(j.nodes).toBeUndefined();
  });

  it('a log with several nodes adds "nodes", each with its own totals and checks', async () => {
    const json = JSON.stringify(sampleReport());
    const log = write(
      'run.log',
      encodeEnvelope(json, { node: 'n1', pool: 'system', benchmark: 'cis-1.10', format: 'json' }) +
        encodeEnvelope(json, { node: 'n2', pool: 'user', benchmark: 'cis-1.10', format: 'json' }),
    );
    const r = await runCli(['explain', log, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.source).toMatchObject({ format: 'log', benchmark: 'cis-1.10' });
    expect(j.nodes.map((n: { node: string }) => n.node)).toEqual(['n1', 'n2']);
    const per = j.nodes[0].totals;
    expect(j.totals).toEqual({ pass: per.pass * 2, fail: per.fail * 2, warn: per.warn * 2, info: per.info * 2 });
    expect(j.checks).toHaveLength(j.nodes[0].checks.length * 2);
  });

  it('--format markdown and csv', async () => {
    const md = await runCli(['explain', SEED, '--format', 'markdown']);
    expect(md.stdout).toMatch(/^# kube-bench triage: examples\/seed-aks-node\.txt/);
    expect(md.stdout).toContain('## Passed (7)');
    const csv = await runCli(['explain', SEED, '--format', 'csv']);
    const lines = csv.stdout.trimEnd().split('\r\n');
    // The legacy headline leads as comment lines, then the header and the 23 checks.
    const comments = lines.filter((l) => l.startsWith('# '));
    expect(comments[0]).toMatch(/^# Legacy output: the node ran Kubernetes 1\.10\.3, which AKS no longer supports\.$/);
    expect(comments.some((l) => l.startsWith('# Do this: Upgrade'))).toBe(true);
    expect(lines.slice(0, comments.length)).toEqual(comments);
    expect(lines.slice(comments.length)).toHaveLength(24);
    expect(lines[comments.length]).toMatch(/^node,id,status,title,/);
  });

  it('reads stdin with -, and --input-format forces the parser', async () => {
    const text = '[FAIL] 3.2.4 Ensure that the --read-only-port is secured (Automated)\n';
    const r = await runCli(['explain', '-', '--format', 'json'], { stdin: text });
    expect(JSON.parse(r.stdout).source).toMatchObject({ input: 'stdin', format: 'text' });
    const forced = await runCli(['explain', '-', '--input-format', 'json'], { stdin: text });
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/^aks-fleet-scanner explain: stdin: is not valid JSON/);
  });

  it('--fail-on FAIL exits 1 when a check has that status, for CI pipelines', async () => {
    expect((await runCli(['explain', SEED, '--fail-on', 'FAIL'])).code).toBe(1);
    const passing = write('pass.txt', '[PASS] 3.2.1 Ensure that the --anonymous-auth argument is set to false (Automated)\n');
    expect((await runCli(['explain', passing, '--fail-on', 'FAIL'])).code).toBe(0);
  });

  it.each([
    ['a missing file', ['explain', 'no/such/file.json'], /no\/such\/file\.json: does not exist/],
    ['an empty file', ['explain', write('empty.json', '')], /empty\.json: is empty/],
    ['a directory', ['explain', tmp], /is a directory/],
    ['an unknown format', ['explain', SEED, '--format', 'xml'], /--format must be one of text, json, markdown, csv/],
    ['an unknown option', ['explain', SEED, '--colour'], /--colour/],
    ['no file', ['explain'], /exactly one input file/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ])('%s: exit 2 and a one-line error', async (_n, argv, pattern) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('as a real process: no stack trace, exit code 2 on bad input', () => {
    const bad = write('bad.json', '{"Controls": [');
    const p = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'explain', bad], { cwd: ROOT, encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.stderr).toMatch(/bad\.json: is not valid JSON/);
  });
});

describe('explain edge cases', () => {
  it('--fail-on counts every check with the status; --ignore-waived lets waived ones pass', async () => {
    const aks = JSON.stringify({
      Controls: [
        {
          id: '3',
          version: 'aks-1.8',
          text: 'Worker Node Security Configuration',
          node_type: 'node',
          tests: [
            {
              section: '3.2',
              desc: 'Kubelet',
              pass: 0,
              fail: 1,
              warn: 0,
              info: 0,
              results: [
                {
                  test_number: '3.2.9',
                  test_desc: 'Ensure that the RotateKubeletServerCertificate argument is set to true (Automated)',
                  audit: '',
                  type: '',
                  remediation: 'r',
                  test_info: [],
                  status: 'FAIL',
                  actual_value: '',
                  scored: true,
                  expected_result: 'x',
                },
              ],
            },
          ],
          total_pass: 0,
          total_fail: 1,
          total_warn: 0,
          total_info: 0,
        },
      ],
      Totals: { total_pass: 0, total_fail: 1, total_warn: 0, total_info: 0 },
    });
    const f = write('quirk.json', aks);
    const j = JSON.parse((await runCli(['explain', f, '--format', 'json'])).stdout);
    expect(j.checks[0].waiver).not.toBeNull();
    expect((await runCli(['explain', f, '--fail-on', 'FAIL'])).code).toBe(1);
    expect((await runCli(['explain', f, '--fail-on', 'FAIL', '--ignore-waived'])).code).toBe(0);
  });

  it('a log where no node produced a result exits 2 naming the nodes', async () => {
    const json = JSON.stringify(sampleReport());
    const cut = encodeEnvelope(json, { node: 'n1', pool: 'p', benchmark: 'aks-1.8', format: 'json' }).slice(0, 300);
    const r = await runCli(['explain', write('cut.log', cut), '--fail-on', 'FAIL']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cut\.log: holds no node result: n1 \(truncated\)/);
  });

  it('names the node of a single-node envelope, and flags an actual value that was cut', async () => {
    const report = sampleReport();
    report.Controls[0]!.tests![1]!.results![0]!.actual_value = 'x'.repeat(5000);
    const log = encodeEnvelope(JSON.stringify(report), { node: 'aks-system-1-vmss000000', pool: 'system', benchmark: 'cis-1.10', format: 'json' });
    const j = JSON.parse((await runCli(['explain', write('one.log', log), '--format', 'json'])).stdout);
    expect(j.source).toMatchObject({ node: 'aks-system-1-vmss000000', pool: 'system' });
    const cut = j.checks.find((c: { actualTruncated?: boolean }) => c.actualTruncated);
    expect(cut.actual).toHaveLength(2048);
  });
});

describe('explain gates and options', () => {
  it('--fail-on WARN gates on a FAIL too; only FAIL and WARN are accepted', async () => {
    const fail = write('f.txt', '[FAIL] 3.2.4 Ensure that the --read-only-port is secured (Automated)\n');
    expect((await runCli(['explain', fail, '--fail-on', 'WARN', '--no-default-waivers'])).code).toBe(1);
    const bad = await runCli(['explain', fail, '--fail-on', 'PASS']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fail-on must be one of FAIL, WARN/);
    expect((await runCli(['explain', fail, '--ignore-waived'])).code).toBe(2);
  });

  it('merges repeated --waivers files', async () => {
    const w = (name: string, topic: string) =>
      write(name, `waivers:\n  - topic: ${topic}\n    scope: all\n    reason: r\n    owner: o\n    expires: 2099-01-01\n`);
    const r = await runCli([
      'explain',
      'examples/seed-aks-node.txt',
      '--format',
      'json',
      '--no-default-waivers',
      '--waivers',
      w('a.yaml', 'kubelet.allow-privileged'),
      '--waivers',
      w('b.yaml', 'kubelet.read-only-port'),
    ]);
    const waived = JSON.parse(r.stdout)
      .checks.filter((c: { waiver: unknown }) => c.waiver)
      .map((c: { id: string }) => c.id);
    expect(waived.sort()).toEqual(['2.1.1', '2.1.5']);
  });

  it('<command> --help prints that command’s usage', async () => {
    const r = await runCli(['scan', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^scan every AKS cluster/);
    expect(r.stdout).toContain('usage: aks-fleet-scanner scan ');
    expect(r.stdout).not.toContain('usage: aks-fleet-scanner explain');
  });

  it('scan refuses --arm-endpoint without --arm-ca', async () => {
    const r = await runCli(['scan', '--arm-endpoint', 'https://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--arm-endpoint and --arm-ca go together/);
  });
});
