/**
 * Runs the kube-bench container's program from aksfs-job.yaml with a fake kube-bench, and reads
 * its output with the TypeScript envelope parser: the shell side and the TS side must agree.
 * With busybox installed, only busybox applets are on PATH, as in the Alpine-based image.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanEnvelopes } from '../../../src/model/envelope.js';
import { NOT_SECRETS, SECRET_CASES } from '../../fixtures/secrets.js';
import { containerProgram } from './job-command.js';

const APPLETS = ['sh', 'cat', 'mkdir', 'tail', 'grep', 'tr', 'sed', 'cut', 'sha256sum', 'gzip', 'base64', 'printf'];
const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
if (!busybox) console.warn("busybox is not installed: running the container program with this machine's sh and tools instead");

const root = mkdtempSync(join(tmpdir(), 'aksfs-container-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bin = join(root, 'bin');
mkdirSync(bin);
writeFileSync(
  join(bin, 'kube-bench'),
  '#!/bin/sh\nprintf \'%s\\n\' "$*" >"$FAKE_ARGS"\necho "W1126 23:00:00.000000 1 common.go:1] noise === on stderr" >&2\n[ -n "$FAKE_JSON" ] && cat "$FAKE_JSON"\nexit "${FAKE_RC:-0}"\n',
);
chmodSync(join(bin, 'kube-bench'), 0o755);
let path = `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
let shell = 'sh';
if (busybox) {
  const bb = join(root, 'busybox');
  mkdirSync(bb);
  for (const a of APPLETS) symlinkSync(busybox, join(bb, a));
  // The kube-bench image adds jq to Alpine's busybox (its Dockerfile: apk add jq).
  const jq = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).stdout.trim();
  if (jq) symlinkSync(jq, join(bb, 'jq'));
  path = `${bin}:${bb}`;
  shell = join(bb, 'sh');
}

let n = 0;
function runContainer(json: string | null, rc = 0): { code: number | null; stdout: string; stderr: string; merged: string; args: string } {
  const dir = join(root, `run${n++}`);
  mkdirSync(dir);
  const jsonPath = join(dir, 'report.json');
  if (json !== null) writeFileSync(jsonPath, json);
  const env = {
    PATH: path,
    TMPDIR: dir,
    FAKE_ARGS: join(dir, 'args'),
    FAKE_JSON: json === null ? '' : jsonPath,
    FAKE_RC: String(rc),
    AKSFS_NODE: 'aks-system-11111111-vmss000001',
    AKSFS_POOL: 'system',
    AKSFS_BENCHMARK: 'aks-1.7',
  };
  const program = containerProgram();
  const split = spawnSync(shell, ['-c', program], { env, encoding: 'utf8' });
  // kubectl logs merges the streams; run again with them merged, as the scanner will see them.
  const merged = spawnSync(shell, ['-c', `exec 2>&1\n${program}`], { env, encoding: 'utf8' });
  return { code: split.status, stdout: split.stdout, stderr: split.stderr, merged: merged.stdout, args: readFileSync(env.FAKE_ARGS, 'utf8').trim() };
}

const REPORT =
  JSON.stringify({
    Controls: [
      {
        id: '3',
        version: 'aks-1.7',
        text: 'Worker Node Security Configuration',
        node_type: 'node',
        tests: [],
        total_pass: 1,
        total_fail: 0,
        total_warn: 0,
        total_info: 0,
      },
    ],
    Totals: { total_pass: 1, total_fail: 0, total_warn: 0, total_info: 0 },
  }) + '\n';

describe('the kube-bench container program', () => {
  it('runs kube-bench for node targets of the benchmark and wraps exactly its stdout in an envelope', () => {
    const r = runContainer(REPORT);
    expect(r.code).toBe(0);
    expect(r.args).toBe('run --targets node --benchmark aks-1.7 --json');
    for (const log of [r.stdout, r.merged]) {
      const { records } = scanEnvelopes(log);
      expect(records).toEqual([
        { kind: 'payload', meta: { node: 'aks-system-11111111-vmss000001', pool: 'system', benchmark: 'aks-1.7', format: 'json' }, payload: REPORT },
      ]);
    }
    // kube-bench's stderr goes to stderr, never into the payload.
    expect(r.stdout).not.toContain('noise');
    expect(r.stderr).toContain('noise === on stderr');
  });

  it('carries a large report over many base64 lines intact', () => {
    const big = JSON.stringify({
      Controls: Array.from({ length: 400 }, (_, i) => ({ id: `3.${i}`, text: `check ${i} ${'x'.repeat(i % 97)}`, seed: (i * 2654435761) % 4294967296 })),
    });
    const r = runContainer(big);
    expect(r.stdout.split('\n').length).toBeGreaterThan(20);
    const rec = scanEnvelopes(r.merged).records[0];
    // jq re-serialises the scrubbed report compactly: the same JSON, one trailing newline.
    expect(rec?.kind === 'payload' ? rec.payload : rec).toBe(`${big}\n`);
  });

  it('the sha256 on the END line is checked: a damaged payload is reported broken, not decoded', () => {
    const r = runContainer(REPORT);
    const damaged = r.stdout.replace(/sha256=([0-9a-f])/, (_, c: string) => `sha256=${c === '0' ? '1' : '0'}`);
    expect(scanEnvelopes(damaged).records[0]).toMatchObject({ kind: 'broken', problem: 'corrupt' });
  });

  it('kube-bench failing: a failed STATUS line with its last error, and the container fails too', () => {
    const r = runContainer(null, 1);
    expect(r.code).toBe(1);
    const { records } = scanEnvelopes(r.merged);
    expect(records).toEqual([
      {
        kind: 'status',
        status: {
          node: 'aks-system-11111111-vmss000001',
          pool: 'system',
          status: 'failed',
          reason: 'kube-bench exited 1: W1126 23:00:00.000000 1 common.go:1] noise = = = on stderr',
        },
      },
    ]);
  });

  it('scrubs every shared secret case from "actual" before the report leaves the node, keeping the evidence around it', () => {
    const values = [...SECRET_CASES.map((c) => c.actual), ...NOT_SECRETS];
    const report = JSON.stringify({
      Controls: [{ id: '3', tests: [{ section: '3.1', results: values.map((actual, i) => ({ test_number: `3.1.${i}`, status: 'FAIL', actual })) }] }],
    });
    const r = runContainer(report);
    expect(r.code).toBe(0);
    for (const c of SECRET_CASES) expect(r.merged, c.name).not.toContain(c.secret);
    const rec = scanEnvelopes(r.merged).records[0];
    expect(rec?.kind).toBe('payload');
    const payload = rec?.kind === 'payload' ? rec.payload : '';
    const actuals = (JSON.parse(payload) as { Controls: { tests: { results: { actual: string }[] }[] }[] }).Controls[0]!.tests[0]!.results.map((x) => x.actual);
    SECRET_CASES.forEach((c, i) => {
      expect(actuals[i], c.name).not.toContain(c.secret);
      expect(actuals[i], c.name).toContain('[redacted]');
      for (const k of c.keep ?? []) expect(actuals[i], `${c.name} keeps ${k}`).toContain(k);
    });
    NOT_SECRETS.forEach((v, i) => expect(actuals[SECRET_CASES.length + i]).toBe(v));
  });

  it('kube-bench printing nothing: a no-output STATUS line', () => {
    const r = runContainer('', 0);
    expect(r.code).not.toBe(0);
    expect(scanEnvelopes(r.stdout).records).toEqual([
      {
        kind: 'status',
        status: { node: 'aks-system-11111111-vmss000001', pool: 'system', status: 'no-output', reason: 'kube-bench exited 0 but printed nothing on stdout' },
      },
    ]);
  });
});
