import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, formatStatusLine, scanEnvelopes } from '../../../src/model/envelope.js';
import type { EnvelopeRecord } from '../../../src/model/envelope.js';
import { ENV_FILE } from '../../../src/scan/incluster/contract.js';
import { describeCall, FakeCluster, nodeList, runScan, scanEnv } from './harness.js';
import type { Call, Run } from './harness.js';

const NS = 'aks-fleet-scanner';
/** The label every Job of the scanner carries, by which the script lists them. */
const MANAGED = { 'app.kubernetes.io/managed-by': 'aks-fleet-scanner' };

const nodes = nodeList([
  { name: 'aks-user1-22222222-vmss000001', pool: 'user1' },
  { name: 'aks-system-11111111-vmss000000', pool: 'system', cordoned: true },
  { name: 'aks-system-11111111-vmss000001', pool: 'system' },
  { name: 'aks-user1-22222222-vmss000000', pool: 'user1', ready: false },
]);
const userNodes = nodeList([
  { name: 'aks-user1-22222222-vmss000001', pool: 'user1' },
  { name: 'aks-user1-22222222-vmss000000', pool: 'user1', ready: false },
]);
const SYS = 'aks-system-11111111-vmss000001';
const USR = 'aks-user1-22222222-vmss000001';

function report(node: string): string {
  return JSON.stringify({
    Controls: [{ id: '3', node_type: 'node', text: `Worker Node Security Configuration on ${node}` }],
    Totals: { total_pass: 1, total_fail: 0, total_warn: 0, total_info: 0 },
  });
}
function podLog(node: string, pool: string): string {
  return `W1126 23:00:00.000000 1 util.go:1] noise before the envelope\n${encodeEnvelope(report(node), { node, pool, benchmark: 'aks-1.7', format: 'json' })}`;
}

function statuses(run: Run): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of scanEnvelopes(run.stdout).records) if (r.kind === 'status') out[r.status.node] = r.status.status;
  return out;
}
function payloads(run: Run): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of scanEnvelopes(run.stdout).records) if (r.kind === 'payload') out[r.meta.node] = r.payload;
  return out;
}
function statusRecord(run: Run, node: string): Extract<EnvelopeRecord, { kind: 'status' }> | undefined {
  return scanEnvelopes(run.stdout).records.find((r): r is Extract<EnvelopeRecord, { kind: 'status' }> => r.kind === 'status' && r.status.node === node);
}
/** Calls `then` once a child of `pid` runs `command` (Linux /proc; the script under test is bash on Linux). */
function whenChildRuns(pid: number, command: string, then: () => void): void {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const timer = setInterval(() => {
    const children = read(`/proc/${pid}/task/${pid}/children`).split(' ').filter(Boolean);
    if (children.some((c) => read(`/proc/${c}/cmdline`).split('\0').filter(Boolean).join(' ') === command)) {
      clearInterval(timer);
      then();
    }
  }, 20);
  // The script exits (and the harness resolves) whether or not the child ever ran.
  timer.unref();
}

/** A call that deletes Jobs of this scan (by its label, or by a kb-scan1-b0-<n> name). */
const deletesOwnJobs = (c: Call): boolean =>
  c.words[0] === 'delete' && /^jobs?$/.test(c.words[1] ?? '') && (c.flags['-l'] === 'aksfs.io/scan=scan1-b0' || /^kb-scan1-b0-/.test(c.words[2] ?? ''));

/**
 * The scan's own Jobs are left for Kubernetes to remove ttlSecondsAfterFinished after they finish,
 * so that a late second command of the same scan and batch finds them: the script deletes none.
 */
function expectJobsKept(run: Run): void {
  expect(run.calls.filter(deletesOwnJobs)).toEqual([]);
}

describe.concurrent('aksfs-scan.sh against a recording kubectl', () => {
  it('per-pool: one Ready node of each node group, Jobs pinned to them, logs printed, Jobs left in place', async () => {
    const run = await runScan(scanEnv(), {
      nodes,
      outcomes: { [SYS]: { kind: 'complete', log: podLog(SYS, 'system'), afterPolls: 2 }, [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const order = run.calls.map(describeCall);
    expect(order.slice(0, 4)).toEqual(['get jobs', 'get nodes', 'apply Job/kb-scan1-b0-0', 'apply Job/kb-scan1-b0-1']);
    expect(order).toContain('logs pod/kb-scan1-b0-0-x7k2p');
    expect(order).toContain('logs pod/kb-scan1-b0-1-x7k2p');
    // kb-scan1-b0-0 (system) completes only on the third poll: the script must keep polling, not give up.
    expect(order.filter((c) => c === 'get jobs,pods').length).toBeGreaterThanOrEqual(3);
    expectJobsKept(run);
    // Nodes are chosen from what the cluster has, not from ARM's pool names.
    const getNodes = run.calls.find((c) => c.words[1] === 'nodes');
    expect(getNodes?.flags['-l']).toBe('kubernetes.io/os=linux');
    expect(run.stderr).toContain('[aksfs] groups: system,user1');
    // Every call is bounded.
    for (const c of run.calls) expect(c.flags['--request-timeout']).toBe('30s');

    // The cordoned system node is passed over for its Ready, schedulable neighbour.
    expect(payloads(run)).toEqual({ [SYS]: report(SYS), [USR]: report(USR) });
    expect(statuses(run)).toEqual({});
  });

  it('Karpenter node pools are groups too; virtual-kubelet nodes are left out; the benchmark follows each node’s kubelet', async () => {
    const mixed = nodeList([
      { name: 'aks-system-1', pool: 'system', kubeletVersion: 'v1.30.4', taints: [{ key: 'CriticalAddonsOnly', value: 'true', effect: 'NoSchedule' }] },
      { name: 'aks-default-abcde', pool: 'default', karpenter: true, kubeletVersion: 'v1.33.1' },
      { name: 'virtual-node-aci-linux', pool: 'aci', virtualKubelet: true },
    ]);
    const run = await runScan(scanEnv({ pools: ['system'], benchmark: 'auto' }), {
      nodes: mixed,
      outcomes: { 'aks-system-1': { kind: 'complete', log: podLog('aks-system-1', 'system') } },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('[aksfs] groups: default,system');
    type J = {
      metadata: { labels: Record<string, string> };
      spec: { template: { spec: { tolerations: unknown; containers: { env: { name: string; value: string }[] }[] } } };
    };
    const jobs = Object.values(run.jobs) as J[];
    const byNode = Object.fromEntries(jobs.map((j) => [j.metadata.labels['aksfs.io/node'], j]));
    expect(Object.keys(byNode).sort()).toEqual(['aks-default-abcde', 'aks-system-1']);
    expect(byNode['aks-default-abcde']?.metadata.labels['aksfs.io/pool']).toBe('default');
    const bench = (j: J | undefined) => j?.spec.template.spec.containers[0]?.env.find((e) => e.name === 'AKSFS_BENCHMARK')?.value;
    expect(bench(byNode['aks-system-1'])).toBe('aks-1.7');
    expect(bench(byNode['aks-default-abcde'])).toBe('aks-1.8');
    // Exactly the node's own taints, by key and effect: no wildcard.
    expect(byNode['aks-system-1']?.spec.template.spec.tolerations).toEqual([{ key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(byNode['aks-default-abcde']?.spec.template.spec.tolerations).toEqual([]);
  });

  it('renders the Job for its node: affinity on the node name, labels, image, benchmark, deadline', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'], image: 'myacr.azurecr.io/aquasec/kube-bench:v0.15.6', benchmark: 'aks-1.8', jobTimeoutSeconds: 2 }), {
      nodes: userNodes,
      outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    expect(run.code).toBe(0);
    const job = run.jobs['kb-scan1-b0-0'] as {
      metadata: { namespace: string; labels: Record<string, string> };
      spec: {
        activeDeadlineSeconds: number;
        template: { spec: { affinity: unknown; containers: { image: string; env: { name: string; value: string }[] }[] } };
      };
    };
    expect(job.metadata.namespace).toBe(NS);
    expect(job.metadata.labels).toMatchObject({ 'aksfs.io/scan': 'scan1-b0', 'aksfs.io/node': USR, 'aksfs.io/pool': 'user1' });
    expect(JSON.stringify(job.spec.template.spec.affinity)).toContain(`"values":["${USR}"]`);
    expect(job.spec.template.spec.containers[0]?.image).toBe('myacr.azurecr.io/aquasec/kube-bench:v0.15.6');
    expect(job.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'AKSFS_BENCHMARK', value: 'aks-1.8' });
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(2);
    expect(JSON.stringify(job)).not.toContain('__AKSFS_');
  });

  it('all: Ready Linux nodes of every group sorted by name, the slice of this batch', async () => {
    const many = nodeList([
      { name: 'aks-b-1', pool: 'b' },
      { name: 'aks-a-3', pool: 'a' },
      { name: 'aks-a-1', pool: 'a' },
      { name: 'aks-a-2', pool: 'a', ready: false },
      { name: 'aks-b-0', pool: 'b' },
      { name: 'aks-a-0', pool: 'a' },
      { name: 'aks-w-0', pool: 'b', os: 'windows' },
    ]);
    // Sorted Ready Linux: aks-a-0, aks-a-1, aks-a-3, aks-b-0, aks-b-1; batch 1 of size 2 is a-3, b-0.
    const run = await runScan(scanEnv({ selection: 'all', pools: ['a', 'b'], batchIndex: 1, batchSize: 2 }), {
      nodes: many,
      outcomes: { 'aks-a-3': { kind: 'complete', log: podLog('aks-a-3', 'a') }, 'aks-b-0': { kind: 'complete', log: podLog('aks-b-0', 'b') } },
    });
    expect(run.code).toBe(0);
    expect(
      Object.values(run.jobs)
        .map((j) => (j as { metadata: { labels: Record<string, string> } }).metadata.labels['aksfs.io/node'])
        .sort(),
    ).toEqual(['aks-a-3', 'aks-b-0']);
    expect(Object.keys(payloads(run)).sort()).toEqual(['aks-a-3', 'aks-b-0']);
  });

  it('all: a batch past the end scans nothing and still exits 0', async () => {
    const run = await runScan(scanEnv({ selection: 'all', pools: ['system'], batchIndex: 3, batchSize: 2 }), { nodes });
    expect(run.code).toBe(0);
    expect(run.calls.some((c) => c.words[0] === 'apply')).toBe(false);
    expect(run.stdout).toBe('');
    expectJobsKept(run);
  });

  it('reports a pool without a Ready node as not-started', async () => {
    const run = await runScan(scanEnv({ pools: ['user1', 'gpu'] }), { nodes: userNodes, outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } } });
    expect(run.code).toBe(0);
    const rec = scanEnvelopes(run.stdout).records.find((r) => r.kind === 'status');
    expect(rec).toMatchObject({ kind: 'status', status: { node: '-', pool: 'gpu', status: 'not-started' } });
  });

  it('apply denied by admission: admission-denied for that node, the others still run', async () => {
    const denial =
      'Error from server (Forbidden): error when creating "STDIN": admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-k8sazurev2noprivilege] Privileged container is not allowed: kube-bench';
    const run = await runScan(scanEnv(), {
      nodes,
      applyErrors: { [SYS]: denial },
      outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    expect(run.code).toBe(0);
    expect(statuses(run)).toEqual({ [SYS]: 'admission-denied' });
    expect(statusRecord(run, SYS)?.status.reason).toContain('denied the request');
    expect(statusRecord(run, SYS)?.status.pool).toBe('system');
    expect(Object.keys(payloads(run))).toEqual([USR]);
    expectJobsKept(run);
  });

  it('apply refused by Kubernetes RBAC is reported as forbidden, not as an admission denial', async () => {
    const rbac =
      'Error from server (Forbidden): jobs.batch is forbidden: User "x" cannot create resource "jobs" in API group "batch" in the namespace "aksfs-scan1-b0"';
    const run = await runScan(scanEnv({ pools: ['user1'] }), { nodes: userNodes, applyErrors: { [USR]: rbac } });
    expect(statuses(run)).toEqual({ [USR]: 'forbidden' });
    expectJobsKept(run);
  });

  it('pod denied by a webhook (FailedCreate on the Job): admission-denied', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'] }), {
      nodes: userNodes,
      outcomes: {
        [USR]: {
          kind: 'no-pod',
          event: 'Error creating: pods "kb-scan1-b0-0-abcde" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)',
        },
      },
    });
    expect(run.code).toBe(0);
    expect(statuses(run)).toEqual({ [USR]: 'admission-denied' });
    expect(run.calls.map(describeCall)).toContain('get events');
    expectJobsKept(run);
  });

  it('a pod held back only by the namespace’s ServiceAccount not existing yet is not an admission denial', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'], jobTimeoutSeconds: 1 }), {
      nodes: userNodes,
      outcomes: {
        [USR]: {
          kind: 'no-pod',
          event:
            'Error creating: pods "kb-scan1-b0-0-abcde" is forbidden: error looking up service account aksfs-scan1-b0/default: serviceaccount "default" not found',
        },
      },
    });
    expect(statuses(run)).toEqual({ [USR]: 'not-started' });
    expect(statusRecord(run, USR)?.status.reason).toContain('serviceaccount "default" not found');
    expectJobsKept(run);
  });

  it('wait timeout: a Job still running at the deadline is reported as timeout, by the script itself', async () => {
    // The fake cluster never ends a running Job: a script that waited for the Job (or for its
    // activeDeadlineSeconds) would run until the harness kills it, so ending on its own is the proof.
    const run = await runScan(
      scanEnv({ jobTimeoutSeconds: 1 }),
      { nodes, outcomes: { [SYS]: { kind: 'running' }, [USR]: { kind: 'pending' } } },
      { timeoutMs: 45_000 },
    );
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(statuses(run)).toEqual({ [SYS]: 'timeout', [USR]: 'not-started' });
    expectJobsKept(run);
  });

  it('unschedulable and image-pull nodes get their own statuses with the cluster’s reason', async () => {
    const run = await runScan(scanEnv(), {
      nodes,
      outcomes: {
        [SYS]: { kind: 'unschedulable', message: '0/5 nodes are available: 1 Insufficient memory.' },
        [USR]: { kind: 'image-pull', message: 'Back-off pulling image "docker.io/aquasec/kube-bench:v0.15.6"' },
      },
    });
    expect(run.code).toBe(0);
    expect(statuses(run)).toEqual({ [SYS]: 'unschedulable', [USR]: 'image-pull' });
    expect(statusRecord(run, SYS)?.status.reason).toContain('Insufficient memory');
    expect(statusRecord(run, USR)?.status.reason).toContain('ImagePullBackOff');
    // Both are final: no waiting for the whole budget.
    expect(run.calls.filter((c) => describeCall(c) === 'get jobs,pods')).toHaveLength(1);
    expectJobsKept(run);
  });

  it('an image pull still retrying at the deadline is reported as image-pull', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'], jobTimeoutSeconds: 1 }), { nodes: userNodes, outcomes: { [USR]: { kind: 'image-pull-retry' } } });
    expect(statuses(run)).toEqual({ [USR]: 'image-pull' });
    expectJobsKept(run);
  });

  it('a failed Job: the container’s own STATUS line is kept, else the Job’s reason is reported', async () => {
    const own = formatStatusLine({ node: SYS, pool: 'system', status: 'failed', reason: 'kube-bench exited 1: config not found' });
    const run = await runScan(scanEnv(), {
      nodes,
      outcomes: {
        [SYS]: { kind: 'failed', log: `E1126 boom\n${own}` },
        [USR]: { kind: 'failed', log: '', jobReason: 'DeadlineExceeded', exitCode: 137, terminatedReason: 'OOMKilled' },
      },
    });
    expect(run.code).toBe(0);
    const recs = scanEnvelopes(run.stdout).records;
    expect(recs.filter((r) => r.kind === 'status' && r.status.node === SYS)).toHaveLength(1);
    expect(statusRecord(run, SYS)?.status.reason).toBe('kube-bench exited 1: config not found');
    expect(statusRecord(run, USR)?.status).toMatchObject({ status: 'failed', pool: 'user1' });
    expect(statusRecord(run, USR)?.status.reason).toMatch(/DeadlineExceeded.*container exit 137 OOMKilled/);
    expectJobsKept(run);
  });

  it('a pod log without a final newline does not glue the next node’s line onto its END line', async () => {
    const run = await runScan(scanEnv(), {
      nodes,
      outcomes: { [SYS]: { kind: 'complete', log: podLog(SYS, 'system').trimEnd() }, [USR]: { kind: 'unschedulable' } },
    });
    expect(payloads(run)).toEqual({ [SYS]: report(SYS) });
    expect(statuses(run)).toEqual({ [USR]: 'unschedulable' });
  });

  it('a completed Job whose log holds no envelope is no-output', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'] }), { nodes: userNodes, outcomes: { [USR]: { kind: 'complete', log: '' } } });
    expect(statuses(run)).toEqual({ [USR]: 'no-output' });
  });

  it('Jobs of an earlier attempt of the same scan are reused, not deleted or made again: their results are printed', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'] }), {
      nodes: userNodes,
      existingJobs: [
        { kind: 'Job', metadata: { name: 'kb-scan1-b0-0', labels: { ...MANAGED, 'aksfs.io/scan': 'scan1-b0' }, creationTimestamp: '2026-11-26T23:00:00Z' } },
      ],
      outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('reusing the 1 Job(s) of an earlier attempt of scan scan1-b0');
    const order = run.calls.map(describeCall);
    expect(order.slice(0, 2)).toEqual(['get jobs', 'get nodes']);
    // Nothing of the scan is deleted, before or after its results are read.
    expect(run.calls.filter((c) => c.words[0] === 'delete')).toEqual([]);
    // The same deterministic name is applied again (a no-op on the existing Job), never a new one.
    const applied = run.calls.filter((c) => c.words[0] === 'apply').flatMap((c) => c.applied);
    expect(applied).toEqual([{ kind: 'Job', name: 'kb-scan1-b0-0' }]);
    expect(Object.keys(payloads(run))).toEqual([USR]);
    expectJobsKept(run);
  });

  it('a late second command of the same scan and batch, after the first ended, finds the finished Jobs: no new Job, the same results', async () => {
    // One cluster for both commands: what the first leaves is what the second finds.
    const cluster = new FakeCluster({
      nodes,
      outcomes: { [SYS]: { kind: 'complete', log: podLog(SYS, 'system') }, [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    const first = await runScan(scanEnv(), cluster);
    expect(first.code).toBe(0);
    expect(cluster.createdJobs).toEqual(['kb-scan1-b0-0', 'kb-scan1-b0-1']);
    expect(cluster.heldJobs()).toEqual(['kb-scan1-b0-0', 'kb-scan1-b0-1']);

    const late = await runScan(scanEnv(), cluster);
    expect(late.code).toBe(0);
    expect(late.stderr).toContain('reusing the 2 Job(s) of an earlier attempt of scan scan1-b0');
    // The same names applied again, which changes nothing: no second set of kube-bench pods.
    expect(late.calls.filter((c) => c.words[0] === 'apply').flatMap((c) => c.applied.map((a) => a.name))).toEqual(['kb-scan1-b0-0', 'kb-scan1-b0-1']);
    expect(cluster.createdJobs).toHaveLength(2);
    expect(payloads(late)).toEqual({ [SYS]: report(SYS), [USR]: report(USR) });
    expect(payloads(late)).toEqual(payloads(first));
    expectJobsKept(late);

    // Another scan (or batch) makes its own Jobs and leaves the first scan's fresh ones alone.
    const next = await runScan(scanEnv({ scanId: 'scan2-b0' }), cluster);
    expect(next.code).toBe(0);
    expect(cluster.createdJobs.slice(2)).toEqual(['kb-scan2-b0-0', 'kb-scan2-b0-1']);
    expect(next.calls.filter((c) => c.words[0] === 'delete')).toEqual([]);
  });

  it('a missing scan namespace is created, labelled privileged for Pod Security, before any Job', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'] }), {
      nodes: userNodes,
      namespaceMissing: true,
      outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    expect(run.code).toBe(0);
    expect(run.calls.map(describeCall).slice(0, 3)).toEqual(['get jobs', `create Namespace/${NS}`, 'get serviceaccount default']);
    expect(run.calls[1]?.body).toMatch(/^ {4}pod-security\.kubernetes\.io\/enforce: privileged$/m);
    expect(run.calls[1]?.body).toMatch(/^ {4}app\.kubernetes\.io\/managed-by: aks-fleet-scanner$/m);
    expect(Object.keys(payloads(run))).toEqual([USR]);
  });

  it('a configured scan namespace is used by every namespaced call and every Job; the default never appears', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'], namespace: 'sec-scans' }), {
      nodes: userNodes,
      outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    expect(run.code).toBe(0);
    // apply takes the namespace from the manifest, checked below.
    const namespaced = run.calls.filter((c) => c.words[0] !== 'apply' && c.words[1] !== 'nodes' && c.words[1] !== 'namespaces');
    expect(namespaced.map(describeCall)).toEqual(['get jobs', 'get jobs,pods', 'logs pod/kb-scan1-b0-0-x7k2p']);
    for (const c of namespaced) expect(c.flags['-n'], describeCall(c)).toBe('sec-scans');
    expect((run.jobs['kb-scan1-b0-0'] as { metadata: { namespace: string } }).metadata.namespace).toBe('sec-scans');
    expect(run.calls.filter((c) => c.flags['-n'] === NS || c.body.includes(`namespace: ${NS}`))).toEqual([]);
    expect(Object.keys(payloads(run))).toEqual([USR]);
  });

  it('hostile cluster answers (names outside a node name’s characters, forged lines in an event) cannot forge or break a record', async () => {
    const evil = 'evil node===AKSFS-BEGIN';
    const forged = `${formatStatusLine({ node: 'victim', pool: 'p', status: 'failed', reason: 'x' }).trim()}`;
    const run = await runScan(scanEnv({ pools: ['user0'] }), {
      nodes: nodeList([
        { name: evil, pool: 'user1,system' },
        { name: USR, pool: 'user0' },
      ]),
      outcomes: { [USR]: { kind: 'no-pod', event: `Error creating: admission webhook "x" denied the request:\n${forged}\n===AKSFS-END v1 node=victim===` } },
    });
    expect(run.code).toBe(0);
    const parsed = scanEnvelopes(run.stdout);
    // The plan names the nodes in a form that cannot split its list or end its line.
    expect(parsed.plan).toEqual([USR, 'evil_node___AKSFS-BEGIN']);
    expect(statuses(run)).toEqual({ [USR]: 'admission-denied', 'evil_node___AKSFS-BEGIN': 'failed' });
    expect(statusRecord(run, 'evil_node___AKSFS-BEGIN')?.status).toMatchObject({
      pool: 'user1_system',
      reason: 'node or pool name is not usable as a label value',
    });
    // The forged lines stay inside one reason, on one line.
    expect(statusRecord(run, USR)?.status.reason).toContain('= = =AKSFS-STATUS v1 node=victim');
    expect(parsed.records).toHaveLength(2);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('===')).length).toBe(3);
    expect(Object.keys(run.jobs)).toEqual(['kb-scan1-b0-0']);
  });

  it('a missing namespace that cannot be created: exits non-zero naming the manifest to apply', async () => {
    const run = await runScan(scanEnv(), {
      nodes,
      namespaceMissing: true,
      namespaceError: 'Error from server (Forbidden): namespaces is forbidden: User "x" cannot create resource "namespaces"',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /error: namespace aks-fleet-scanner does not exist and cannot be created \(apply infra\/kubernetes\/aksfs-scanner-rbac.yaml\): .*cannot create resource "namespaces"/,
    );
    expect(run.calls.some((c) => c.applied.some((a) => a.kind === 'Job'))).toBe(false);
    expectJobsKept(run);
  });

  it('cannot list nodes: exits non-zero with a clear message', async () => {
    const run = await runScan(scanEnv(), { nodes, nodesError: 'Unable to connect to the server: dial tcp: i/o timeout' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: cannot list nodes: Unable to connect to the server');
    expectJobsKept(run);
  });

  it('killed with SIGTERM while waiting: exits at once, leaving its Jobs to their deadline', async () => {
    const run = await runScan(
      scanEnv({ jobTimeoutSeconds: 120 }),
      {
        nodes,
        outcomes: { [SYS]: { kind: 'running' }, [USR]: { kind: 'running' } },
      },
      {
        // A nap of an hour outlasts the harness's guard: exiting 143 on its own shows the nap was cut short.
        env: { AKSFS_POLL_SECONDS: '3600' },
        // Signalled only once the nap's sleep runs, however slowly the machine reaches it.
        onCall: { match: (c) => describeCall(c) === 'get jobs,pods', act: (pid) => whenChildRuns(pid, 'sleep 3600', () => process.kill(pid, 'SIGTERM')) },
        timeoutMs: 45_000,
      },
    );
    expect(run.signal).toBeNull();
    expect(run.code).toBe(143);
    expect(run.stderr).toContain('terminated');
    expectJobsKept(run);
  });

  it('deletes leftover Jobs of earlier scans once they are old, and no others', async () => {
    const old = new Date(Date.now() - 2 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const fresh = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const job = (name: string, scan: string, at: string) => ({
      kind: 'Job',
      metadata: { name, labels: { ...MANAGED, 'aksfs.io/scan': scan }, creationTimestamp: at },
    });
    const run = await runScan(scanEnv({ pools: ['user1'] }), {
      nodes: userNodes,
      existingJobs: [job('kb-old-0', 'old', old), job('kb-concurrent-0', 'concurrent', fresh)],
      outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } },
    });
    const deletes = run.calls.filter((c) => c.words[0] === 'delete').map((c) => c.words[2] ?? c.flags['-l']);
    expect(deletes).toEqual(['kb-old-0']);
    expect(run.calls[0]?.flags['-l']).toBe('app.kubernetes.io/managed-by=aks-fleet-scanner');
  });

  it('a /tmp it cannot write to: work files go to its working directory instead', async () => {
    const run = await runScan(
      scanEnv({ pools: ['user1'] }),
      { nodes: userNodes, outcomes: { [USR]: { kind: 'complete', log: podLog(USR, 'user1') } } },
      { env: { TMPDIR: '/proc/aksfs-not-writable' } },
    );
    expect(run.code).toBe(0);
    expect(Object.keys(payloads(run))).toEqual([USR]);
  });

  it('a tool missing from the command pod is named in a status line before anything runs', async () => {
    // A PATH holding every tool the script needs except jq.
    const dir = mkdtempSync(join(tmpdir(), 'aksfs-path-'));
    for (const tool of ['bash', 'dirname', 'awk', 'sed', 'grep', 'cut', 'head', 'tail', 'wc', 'sort', 'paste', 'mktemp', 'sleep', 'cat', 'rm', 'tr', 'cp']) {
      const at = execFileSync('bash', ['-c', `command -v ${tool}`])
        .toString()
        .trim();
      symlinkSync(at, join(dir, tool));
    }
    try {
      const run = await runScan(scanEnv(), { nodes }, { pathDirs: [dir] });
      expect(run.code).toBe(2);
      expect(statuses(run)).toEqual({ '-': 'failed' });
      expect(statusRecord(run, '-')?.status.reason).toBe('the run-command pod lacks jq');
      expect(run.calls).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad scan.env with a clear error before touching the cluster', async () => {
    const run = await runScan(
      scanEnv(),
      { nodes },
      { replace: { [ENV_FILE]: 'AKSFS_SCAN_ID=Scan_1\nAKSFS_BENCHMARK=aks-1.7\nAKSFS_SELECT=per-pool\nAKSFS_POOLS=system\n' } },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: AKSFS_SCAN_ID must be 1-40 lower-case letters, digits or '-'");
    expect(run.calls).toEqual([]);
  });
});
