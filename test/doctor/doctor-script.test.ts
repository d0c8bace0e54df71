/**
 * aksfs-doctor.sh run the way run-command runs it (files unzipped from the request's context into
 * the working directory, `bash ./aksfs-doctor.sh`), with fake-kubectl.sh as kubectl. Its lines are
 * read with the same parser the doctor uses on a real log.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckLines } from '../../src/doctor/lines.js';
import { buildDoctorRequest } from '../../src/doctor/request.js';
import { IN_CLUSTER_CHECK_IDS } from '../../src/model/doctor.js';
import { SCAN_PERMISSIONS } from '../../src/doctor/permissions.js';
import type { Call, Outcome, Scenario } from '../scan/incluster/harness.js';
import { FakeCluster, nodeList, runRequest } from '../scan/incluster/harness.js';

const NS = 'aks-fleet-scanner';
/** The node the doctor checks on: the first schedulable node of the first group by name ('default'). */
const TARGET = 'aks-default-abcde';

const nodes = nodeList([
  { name: 'aks-system-11111111-vmss000000', pool: 'system', taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] },
  { name: TARGET, pool: 'default', karpenter: true },
  { name: 'aks-win-33333333-vmss000000', pool: 'win', os: 'windows' },
]);

interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: Call[];
  checkJob: Record<string, unknown> | null;
  statuses: Record<string, string>;
  detail(id: string): string;
}

/** The scenario, with what the check pod does on the target node. */
async function runDoctor(scenario: Omit<Scenario, 'outcomes'> & { pod?: Outcome }, opts: { pathDirs?: string[] } = {}): Promise<DoctorRun> {
  const { pod, ...rest } = scenario;
  const cluster = new FakeCluster({ ...rest, outcomes: pod ? { [TARGET]: pod } : {} });
  const req = buildDoctorRequest({ namespace: NS, image: 'docker.io/aquasec/kube-bench:v0.15.6', doctorId: 't1', waitSeconds: 5 });
  const run = await runRequest(req, cluster, opts);
  const lines = parseCheckLines(run.stdout);
  return {
    code: run.code,
    stdout: run.stdout,
    stderr: run.stderr,
    calls: cluster.calls,
    checkJob: (cluster.jobs['aksfs-doctor-t1'] as Record<string, unknown> | undefined) ?? null,
    statuses: Object.fromEntries([...lines.values()].map((l) => [l.id, l.status])),
    detail: (id) => [...lines.values()].find((l) => l.id === id)?.detail ?? '',
  };
}

const allPass = Object.fromEntries(IN_CLUSTER_CHECK_IDS.map((id) => [id, 'pass']));

describe('aksfs-doctor.sh', () => {
  it('a ready cluster: every in-cluster check passes, in order; the check Job has the scan Job spec, runs kube-bench version, always pulls, and is deleted', async () => {
    const run = await runDoctor({ nodes, pod: { kind: 'complete' } });
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
      pod: {
        kind: 'no-pod',
        event: 'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [p1] Sharing the host namespace is not allowed',
      },
    });
    expect(denied.statuses).toMatchObject({ admission: 'fail', image: 'skip', capacity: 'skip' });
    expect(denied.detail('admission')).toMatch(/^the scan's pod was denied \(its Job passed a server-side dry run\): Error creating: admission webhook/);
    const pull = await runDoctor({ nodes, pod: { kind: 'image-pull', message: 'Back-off pulling image "docker.io/aquasec/kube-bench:v0.15.6"' } });
    expect(pull.statuses).toMatchObject({ admission: 'pass', image: 'fail', capacity: 'pass' });
    expect(pull.detail('image')).toMatch(/cannot pull docker\.io\/aquasec\/kube-bench:v0\.15\.6: ImagePullBackOff/);
    const full = await runDoctor({ nodes, pod: { kind: 'unschedulable' } });
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
