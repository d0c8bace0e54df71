/**
 * aksfs-doctor.sh run the way run-command runs it (files unzipped from the request's context into
 * the working directory, `bash ./aksfs-doctor.sh`), with fake-kubectl.sh as kubectl. Its lines are
 * read with the same parser the doctor uses on a real log.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCheckLines } from '../../src/doctor/lines.js';
import { buildDoctorRequest } from '../../src/doctor/request.js';
import { IN_CLUSTER_CHECK_IDS } from '../../src/model/doctor.js';
import { SCAN_PERMISSIONS } from '../../src/doctor/permissions.js';
import { unzipContext } from '../../src/scan/incluster/contract.js';
import { nodeList } from '../scan/incluster/harness.js';
import type { DoctorCall, DoctorScenario } from './fake-doctor-cluster.js';
import { FakeDoctorCluster } from './fake-doctor-cluster.js';

const FAKE_KUBECTL = fileURLToPath(new URL('../scan/incluster/fake-kubectl.sh', import.meta.url));
const NS = 'aks-fleet-scanner';

const nodes = nodeList([
  { name: 'aks-system-11111111-vmss000000', pool: 'system', taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] },
  { name: 'aks-default-abcde', pool: 'default', karpenter: true },
  { name: 'aks-win-33333333-vmss000000', pool: 'win', os: 'windows' },
]);

interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: DoctorCall[];
  checkJob: Record<string, unknown> | null;
  statuses: Record<string, string>;
  detail(id: string): string;
}

async function runDoctor(scenario: DoctorScenario, opts: { pathDirs?: string[] } = {}): Promise<DoctorRun> {
  const root = mkdtempSync(join(tmpdir(), 'aksfs-doctor-test-'));
  const work = join(root, 'work');
  const bin = join(root, 'bin');
  for (const d of [work, bin]) mkdirSync(d);
  const req = buildDoctorRequest({ namespace: NS, image: 'docker.io/aquasec/kube-bench:v0.15.6', doctorId: 't1', waitSeconds: 5 });
  for (const [name, body] of Object.entries(unzipContext(req.context))) writeFileSync(join(work, name), body);
  writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\nexec bash "${FAKE_KUBECTL}" "$@"\n`);
  chmodSync(join(bin, 'kubectl'), 0o755);
  const cluster = new FakeDoctorCluster(scenario);
  const port = await cluster.listen();
  const child = spawn('bash', req.command.split(' ').slice(1), {
    cwd: work,
    env: { PATH: [bin, ...(opts.pathDirs ?? [process.env['PATH'] ?? '/usr/bin:/bin'])].join(':'), FAKE_KUBE_PORT: String(port), AKSFS_POLL_SECONDS: '0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(limit);
  await cluster.close();
  rmSync(root, { recursive: true, force: true });
  const lines = parseCheckLines(stdout);
  return {
    code,
    stdout,
    stderr,
    calls: cluster.calls,
    checkJob: cluster.checkJob,
    statuses: Object.fromEntries([...lines.values()].map((l) => [l.id, l.status])),
    detail: (id) => [...lines.values()].find((l) => l.id === id)?.detail ?? '',
  };
}

const allPass = Object.fromEntries(IN_CLUSTER_CHECK_IDS.map((id) => [id, 'pass']));

describe('aksfs-doctor.sh', () => {
  it('a ready cluster: every in-cluster check passes, in order; the check Job has the scan Job spec, runs kube-bench version, always pulls, and is deleted', async () => {
    const run = await runDoctor({ nodes, pod: 'complete' });
    expect(run.code).toBe(0);
    expect(run.stdout.match(/check=([a-z-]+)/g)).toEqual(IN_CLUSTER_CHECK_IDS.map((id) => `check=${id}`));
    expect(run.statuses).toEqual(allPass);
    expect(run.detail('nodes')).toBe(
      '2 Ready Linux node(s) in groups: default (Karpenter, 1), system (agent pool, 1); checking on aks-default-abcde (group default)',
    );
    expect(run.detail('rbac')).toMatch(new RegExp(`^all ${SCAN_PERMISSIONS.length} permissions`));
    // Every permission the roles grant was asked about, in the namespace or cluster-wide.
    const asked = run.calls
      .filter((c) => c.words[0] === 'auth')
      .map((c) => `${c.words[2]} ${c.words[3]}${c.flags['-n'] ? ` -n ${String(c.flags['-n'])}` : ''}`);
    expect(asked).toContain(`create jobs.batch -n ${NS}`);
    expect(asked).toContain('list nodes');
    // The dry run is the real Job: hostPID and the node's exact taints.
    const dry = run.calls.find((c) => c.flags['--dry-run'] === 'server');
    expect(dry?.body).toMatch(/hostPID: true/);
    expect(dry?.flags['-n']).toBe(NS);
    const spec = (run.checkJob as { spec: { template: { spec: { hostPID: boolean; containers: { command: string[]; imagePullPolicy: string }[] } } } }).spec
      .template.spec;
    expect(spec.hostPID).toBe(true);
    expect(spec.containers[0]).toMatchObject({ command: ['kube-bench', 'version'], imagePullPolicy: 'Always' });
    expect((run.checkJob as { metadata: { labels: Record<string, string> } }).metadata.labels['aksfs.io/doctor']).toBe('t1');
    expect(run.calls.at(-1)?.words.slice(0, 3)).toEqual(['delete', 'job', 'aksfs-doctor-t1']);
  });

  it('a denied pod (FailedCreate), an image that cannot be pulled, no room: each names itself; the others are passed or skipped', async () => {
    const denied = await runDoctor({
      nodes,
      pod: { deniedEvent: 'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [p1] Sharing the host namespace is not allowed' },
    });
    expect(denied.statuses).toMatchObject({ admission: 'fail', image: 'skip', capacity: 'skip' });
    expect(denied.detail('admission')).toMatch(/^the scan's pod was denied \(its Job passed a server-side dry run\): Error creating: admission webhook/);
    const pull = await runDoctor({ nodes, pod: 'image-pull' });
    expect(pull.statuses).toMatchObject({ admission: 'pass', image: 'fail', capacity: 'pass' });
    expect(pull.detail('image')).toMatch(/cannot pull docker\.io\/aquasec\/kube-bench:v0\.15\.6: ImagePullBackOff/);
    const full = await runDoctor({ nodes, pod: 'unschedulable' });
    expect(full.statuses).toMatchObject({ image: 'skip', capacity: 'fail' });
    expect(full.detail('capacity')).toMatch(/Unschedulable: 0\/3 nodes are available: 1 Insufficient cpu/);
  });

  it('a denial of the Job itself by the dry run creates nothing', async () => {
    const run = await runDoctor({
      nodes,
      dryRunError: 'Error from server (Forbidden): admission webhook "validation.gatekeeper.sh" denied the request: [jobs-policy] no',
    });
    expect(run.statuses).toMatchObject({ admission: 'fail', image: 'skip', capacity: 'skip' });
    expect(run.checkJob).toBeNull();
  });

  it('missing RBAC and a missing namespace are named', async () => {
    const run = await runDoctor({ nodes, cannot: ['create jobs.batch', 'list nodes', 'create namespaces'], namespaceMissing: true });
    expect(run.statuses).toMatchObject({ rbac: 'fail', namespace: 'fail', admission: 'skip' });
    expect(run.detail('rbac')).toBe('not granted: create jobs.batch (no); list nodes (no);');
    expect(run.detail('namespace')).toBe(`namespace ${NS} does not exist and this identity cannot create it`);
  });

  it('a command pod without jq: command-pod names it, every other check is skipped, nothing is called', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksfs-path-'));
    for (const tool of ['bash', 'dirname', 'awk', 'sed', 'grep', 'cut', 'head', 'tail', 'wc', 'sort', 'paste', 'mktemp', 'sleep', 'cat', 'rm', 'id']) {
      symlinkSync(
        execFileSync('bash', ['-c', `command -v ${tool}`])
          .toString()
          .trim(),
        join(dir, tool),
      );
    }
    try {
      const run = await runDoctor({ nodes }, { pathDirs: [dir] });
      expect(run.code).toBe(0);
      expect(run.statuses).toEqual({ ...Object.fromEntries(IN_CLUSTER_CHECK_IDS.map((id) => [id, 'skip'])), 'command-pod': 'fail' });
      expect(run.detail('command-pod')).toMatch(/^uid \d+ \(.*\); missing tools: jq$/);
      expect(run.calls).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
