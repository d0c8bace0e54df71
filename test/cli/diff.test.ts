import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realisticNodeOutput } from '../../bench/figures/parse.js';
import { DIFF_CSV_HEADER } from '../../src/cli/diff.js';
import type { DiffReport } from '../../src/cli/diff.js';
import { encodeEnvelope } from '../../src/model/envelope.js';
import type { KubeBenchJsonReport, KubeBenchStatus } from '../../src/model/kube-bench.js';
import { HAS_SHARED, SAMPLES, SEED, SHARED } from '../fixtures/paths.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'aksfs-diff-'));
const write = (name: string, body: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, body);
  return p;
};

/** The real samples, from shared/ when it is beside the checkout (the vendored copy otherwise). */
const SAMPLE_DIR = HAS_SHARED ? `${SHARED}kube-bench/samples/` : SAMPLES;
const EXCERPT = `${SAMPLE_DIR}real-node-output-cis-1.10-EXCERPT.json`;
const TESTDATA = `${SAMPLE_DIR}cmd_testdata_result.json`;

/** A kube-bench JSON with some statuses changed and every counter recomputed. */
function withStatuses(json: string, statusOf: (id: string, was: KubeBenchStatus) => KubeBenchStatus): string {
  const r = JSON.parse(json) as KubeBenchJsonReport;
  const totals = { total_pass: 0, total_fail: 0, total_warn: 0, total_info: 0 };
  for (const c of r.Controls) {
    const ct = { total_pass: 0, total_fail: 0, total_warn: 0, total_info: 0 };
    for (const g of c.tests ?? []) {
      const gt = { pass: 0, fail: 0, warn: 0, info: 0 };
      for (const res of g.results ?? []) {
        res.status = statusOf(res.test_number, res.status);
        const k = res.status.toLowerCase() as keyof typeof gt;
        gt[k]++;
        ct[`total_${k}`]++;
        totals[`total_${k}`]++;
      }
      Object.assign(g, gt);
    }
    Object.assign(c, ct);
  }
  r.Totals = totals;
  return JSON.stringify(r);
}

const json = (stdout: string): DiffReport => JSON.parse(stdout) as DiffReport;
const ids = (rows: { id: string }[]): string[] => rows.map((x) => x.id);

describe('aks-fleet-scanner diff', () => {
  it('text (the seed): a check that starts failing is new, one that passes is fixed; --fail-on-new exits 1', async () => {
    const seed = readFileSync(SEED, 'utf8');
    const changed = write(
      'seed-after.txt',
      seed
        .replace('[FAIL] 2.1.1 Ensure that the --allow-privileged', '[PASS] 2.1.1 Ensure that the --allow-privileged')
        .replace('[PASS] 2.1.2 Ensure that the --anonymous-auth', '[FAIL] 2.1.2 Ensure that the --anonymous-auth'),
    );
    const r = await runCli(['diff', SEED, changed]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/New FAIL \(1\)\n {2}\[FAIL\] 2\.1\.2 Ensure that the --anonymous-auth argument is set to false, was PASS\n/);
    expect(r.stdout).toMatch(/Fixed \(1\)\n {2}\[PASS\] 2\.1\.1 /);
    expect(r.stdout).toContain('1 new FAIL, 1 fixed, 13 still failing, 0 new WARN; coverage +0 −0 (unknown → unknown)');
    expect((await runCli(['diff', SEED, changed, '--fail-on-new'])).code).toBe(1);
    // The other way round the same change is a fix and a new FAIL.
    const back = json((await runCli(['diff', changed, SEED, '--format', 'json'])).stdout);
    expect([ids(back.newFailures), ids(back.fixed)]).toEqual([['2.1.1'], ['2.1.2']]);
    expect((await runCli(['diff', SEED, SEED, '--fail-on-new'])).code).toBe(0);
  });

  it('json (the real cis-1.10 excerpt): new, fixed, still failing and new WARN, with the knowledge base triage', async () => {
    const sample = readFileSync(EXCERPT, 'utf8');
    const after = write(
      'excerpt-after.json',
      withStatuses(sample, (id, was) => (id === '4.1.1' ? 'PASS' : id === '4.1.2' ? 'FAIL' : id === '4.3.1' ? 'WARN' : was)),
    );
    const r = await runCli(['diff', EXCERPT, after, '--format', 'json', '--fail-on-new']);
    expect(r.code).toBe(1);
    const j = json(r.stdout);
    expect(j.old).toMatchObject({ format: 'json', benchmarks: ['cis-1.10'] });
    expect(j.keyedBy).toBe('none');
    expect(ids(j.newFailures)).toEqual(['4.1.2']);
    expect(j.newFailures[0]).toMatchObject({
      before: 'PASS',
      after: 'FAIL',
      topic: expect.any(String),
      disposition: expect.any(String),
      whatToDo: expect.any(String),
    });
    expect(ids(j.fixed)).toEqual(['4.1.1']);
    expect(ids(j.stillFailing)).toEqual(['4.2.1']);
    expect(ids(j.newWarnings)).toEqual(['4.3.1']);
    expect(j.summary).toEqual({ newFailures: 1, fixed: 1, stillFailing: 1, newWarnings: 1, coverageAdded: 0, coverageRemoved: 0 });
  });

  it('json (the real testdata result, two controls of two benchmarks): nothing against itself, a new FAIL once one fails', async () => {
    const same = await runCli(['diff', TESTDATA, TESTDATA, '--format', 'json', '--fail-on-new']);
    expect(same.code).toBe(0);
    expect(Object.values(json(same.stdout).summary)).toEqual([0, 0, 0, 0, 0, 0]);
    const after = write(
      'testdata-after.json',
      withStatuses(readFileSync(TESTDATA, 'utf8'), (id, was) => (id === '1.1.1' ? 'FAIL' : was)),
    );
    const r = await runCli(['diff', TESTDATA, after, '--format', 'json', '--fail-on-new']);
    expect(r.code).toBe(1);
    const j = json(r.stdout);
    expect(j.old.benchmarks).toEqual(['cis-1.5', 'cis-1.15']);
    expect(j.newFailures.map((x) => [x.benchmark, x.id, x.before])).toEqual([['cis-1.5', '1.1.1', 'PASS']]);
  });

  it('log (our per-node envelopes): keyed by pool, so a FAIL on a second pool is new and names its nodes', async () => {
    const base = realisticNodeOutput('aks-1.8');
    const failing = withStatuses(base, (id, was) => (id === '3.2.4' ? 'FAIL' : was));
    const env = (node: string, pool: string, body: string): string => encodeEnvelope(body, { node, pool, benchmark: 'aks-1.8', format: 'json' });
    const before = write('before.log', env('aks-system-0', 'system', failing) + env('aks-user-0', 'user', base) + env('aks-user-1', 'user', base));
    const after = write('after.log', env('aks-system-1', 'system', failing) + env('aks-user-2', 'user', failing) + env('aks-user-3', 'user', failing));
    const j = json((await runCli(['diff', before, after, '--format', 'json'])).stdout);
    expect(j.old.format).toBe('log');
    expect(j.keyedBy).toBe('pool');
    // Node names changed (a node-image upgrade replaces nodes): the system pool's FAIL is not new.
    expect(j.newFailures.map((x) => [x.id, x.where, x.failingNodes])).toEqual([['3.2.4', 'user', ['aks-user-2', 'aks-user-3']]]);
    expect(j.stillFailing.some((x) => x.id === '3.2.4' && x.where === 'system')).toBe(true);
    const text = (await runCli(['diff', before, after])).stdout;
    expect(text).toContain('(pool user), was PASS');
    expect(text).toContain('nodes: aks-user-2, aks-user-3');
  });

  it('across benchmarks (aks-1.0 → aks-1.8): renumbered checks match by topic; checks only one has are coverage, not new', async () => {
    const fail = (id: string): KubeBenchStatus => (['3.2.9', '3.1.3', '3.2.4'].includes(id) ? 'FAIL' : 'PASS');
    const fail18 = (id: string): KubeBenchStatus => (['3.2.7', '3.1.3', '3.2.4'].includes(id) ? 'FAIL' : 'PASS');
    const old = write('aks-1.0.json', withStatuses(realisticNodeOutput('aks-1.0'), fail));
    const cur = write('aks-1.8.json', withStatuses(realisticNodeOutput('aks-1.8'), fail18));
    const r = await runCli(['diff', old, cur, '--format', 'json', '--fail-on-new']);
    expect(r.code).toBe(0);
    const j = json(r.stdout);
    // event-qps is 3.2.9 in aks-1.0 and 3.2.7 in aks-1.8; read-only-port is 3.2.4 in both.
    expect(j.stillFailing.map((x) => x.topic).sort()).toEqual(['kubelet.event-qps', 'kubelet.read-only-port']);
    expect(j.newFailures).toEqual([]);
    expect(j.fixed).toEqual([]);
    // 3.1.3 is kubelet config file permissions in aks-1.0 and azure.json permissions in aks-1.8.
    expect(j.coverageRemoved.map((x) => x.topic).sort()).toEqual([
      'files.kubelet-config.ownership',
      'files.kubelet-config.permissions',
      'kubelet.hostname-override',
      'kubelet.protect-kernel-defaults',
    ]);
    expect(j.coverageAdded.map((x) => [x.topic, x.after]).sort()).toEqual([
      ['files.azure-json.ownership', 'PASS'],
      ['files.azure-json.permissions', 'FAIL'],
    ]);
    const text = (await runCli(['diff', old, cur])).stdout;
    expect(text).toContain('Coverage added (checks only the new benchmark has) (2)');
    expect(text).toContain('coverage +2 −4 (aks-1.0 → aks-1.8)');
  });

  it('markdown and csv carry the same rows', async () => {
    const seed = readFileSync(SEED, 'utf8');
    const changed = write('seed-md.txt', seed.replace('[PASS] 2.1.2 Ensure that the --anonymous-auth', '[FAIL] 2.1.2 Ensure that the --anonymous-auth'));
    const mdOut = (await runCli(['diff', SEED, changed, '--format', 'markdown'])).stdout;
    expect(mdOut).toContain('## New FAIL (1)');
    expect(mdOut).toMatch(/\| 2\.1\.2 \| Ensure that the --anonymous-auth argument is set to false \| {2}\| PASS \| FAIL \| \w[\w-]* \| .+ \|/);
    expect(mdOut).toContain('## Still failing (14)');
    const csv = (await runCli(['diff', SEED, changed, '--format', 'csv'])).stdout;
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(DIFF_CSV_HEADER.join(','));
    expect(lines).toHaveLength(1 + 1 + 14);
    expect(lines[1]).toMatch(/^newFailures,,[\w.-]+,,2\.1\.2,Ensure that the --anonymous-auth argument is set to false,/);
  });

  it('bad input exits 2 with one line naming the file', async () => {
    const garbage = write('notes.txt', 'these are my notes, not a kube-bench output\n');
    for (const [argv, pattern] of [
      [['diff', SEED, 'missing.json'], /^aks-fleet-scanner diff: missing\.json: does not exist\n$/],
      [['diff', garbage, SEED], new RegExp(`^aks-fleet-scanner diff: ${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [^\n]+\n$`)],
      [['diff', SEED], /^aks-fleet-scanner diff: diff takes two input files, old and new, not 1; see aks-fleet-scanner diff --help\n$/],
      [['diff', SEED, SEED, '--format', 'yaml'], /^aks-fleet-scanner diff: --format must be one of text, json, markdown, csv, not "yaml"\n$/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe('');
    }
    const cut = write('cut.log', encodeEnvelope(realisticNodeOutput('aks-1.8'), { node: 'n1', pool: 'p', benchmark: 'aks-1.8', format: 'json' }).slice(0, 300));
    const r = await runCli(['diff', SEED, cut, '--fail-on-new']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^aks-fleet-scanner diff: .*cut\.log: holds no node result: n1 \(truncated\)\n$/);
  });

  it('reads one side from stdin', async () => {
    const r = await runCli(['diff', SEED, '-', '--format', 'json'], { stdin: readFileSync(SEED, 'utf8') });
    expect(r.code).toBe(0);
    expect(json(r.stdout).new.input).toBe('stdin');
  });
});
