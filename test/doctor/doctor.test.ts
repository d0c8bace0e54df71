/**
 * `doctor` against the HTTPS ARM simulator with the real SDK client: each case a real fleet has
 * (denying admission policy, a pool that cannot pull, Karpenter nodes, a command pod that never
 * starts, missing Azure or Kubernetes permissions) shows as the one check that names it, with a fix.
 */
import { describe, expect, it } from 'vitest';
import { DOCTOR_CHECK_IDS } from '../../src/model/doctor.js';
import { clusterInput, doctorOne } from './sim-doctor.js';

const POLICY = 'azurepolicy-k8sazurev2blockhostnamespace-e3b0c44298fc1c149afb';

function statuses(checks: { id: string; status: string }[]): Record<string, string> {
  return Object.fromEntries(checks.map((c) => [c.id, c.status]));
}

describe('doctor on a simulated cluster', () => {
  it('a ready cluster: every check passes, in the documented order, with one run-command', async () => {
    const { report, requests } = await doctorOne(clusterInput());
    expect(report.checks.map((c) => c.id)).toEqual([...DOCTOR_CHECK_IDS]);
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.some((c) => c.fix !== undefined)).toBe(false);
    expect(requests.filter((r) => r.operation === 'ManagedClusters_RunCommand')).toHaveLength(1);
  });

  it('node auto-provisioning with no Linux ARM agent pool: Karpenter node pools are found and checked', async () => {
    const { report, check } = await doctorOne(
      clusterInput({
        nodeProvisioning: 'Automatic',
        pools: [
          { name: 'default', count: 3, karpenter: true },
          { name: 'system', mode: 'System', count: 2, karpenter: true },
        ],
      }),
    );
    expect(report.ok).toBe(true);
    expect(check('arm-read').detail).toMatch(/ARM agent pools: none; node auto-provisioning/);
    expect(check('nodes').detail).toMatch(/5 Ready Linux node\(s\) in groups: default \(Karpenter, 3\), system \(Karpenter, 2\); checking on aks-default-/);
  });

  it('a policy denying hostPID and hostPath: admission fails naming the policy, with the exemption to add; exempting the namespace passes', async () => {
    const denied = await doctorOne(clusterInput({ admission: { policy: POLICY, excludedNamespaces: ['kube-system'] } }));
    expect(denied.check('admission')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`[${POLICY}]`) });
    expect(denied.check('admission').fix).toMatch(/exempt namespace aks-fleet-scanner .*Deployment Safeguards.*excludedNamespaces.*Gatekeeper/);
    expect(statuses(denied.report.checks)).toMatchObject({ image: 'skip', capacity: 'skip', rbac: 'pass' });
    expect(denied.report.ok).toBe(false);
    const exempt = await doctorOne(clusterInput({ admission: { policy: POLICY, excludedNamespaces: ['kube-system', 'aks-fleet-scanner'] } }));
    expect(exempt.report.ok).toBe(true);
    // Another scan namespace is judged on its own name.
    const other = await doctorOne(clusterInput({ admission: { policy: POLICY, excludedNamespaces: ['sec-scans'] } }), { namespace: 'sec-scans' });
    expect(other.check('admission').status).toBe('pass');
    expect(other.report.namespace).toBe('sec-scans');
  });

  it('a pool whose nodes cannot pull: image fails with the registry fix; the cluster tag picks the image, a bad tag fails', async () => {
    const locked = await doctorOne(clusterInput({ pools: [{ name: 'system', mode: 'System', count: 2, nodeStatus: { status: 'image-pull' } }] }));
    expect(locked.check('image')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/cannot pull docker\.io\/aquasec\/kube-bench:v0\.15\.6: ImagePullBackOff/),
    });
    expect(locked.check('image').fix).toMatch(/az acr import.*AcrPull.*aks-fleet-scanner-image/);
    expect(locked.check('capacity').status).toBe('pass');
    const tagged = await doctorOne(clusterInput({ tags: { 'aks-fleet-scanner-image': 'myacr.azurecr.io/aquasec/kube-bench:v0.15.6' } }));
    expect(tagged.report.image).toBe('myacr.azurecr.io/aquasec/kube-bench:v0.15.6');
    expect(tagged.check('image').detail).toContain('pulled myacr.azurecr.io/aquasec/kube-bench:v0.15.6');
    const bad = await doctorOne(clusterInput({ tags: { 'aks-fleet-scanner-image': 'kube-bench; rm -rf /' } }));
    expect(bad.check('image')).toMatchObject({ status: 'fail', detail: expect.stringContaining('aks-fleet-scanner-image') });
  });

  it('no room on the node: capacity fails with the scheduler message', async () => {
    const { check } = await doctorOne(clusterInput({ pools: [{ name: 'system', mode: 'System', count: 1, nodeStatus: { status: 'unschedulable' } }] }));
    expect(check('capacity')).toMatchObject({ status: 'fail', detail: expect.stringContaining('Unschedulable: 0/6 nodes are available') });
    expect(check('image').status).toBe('skip');
  });

  it('a 404 on the result before the command pod starts is retried once; twice is a failed result check that says so', async () => {
    const once = await doctorOne(clusterInput({ faults: [{ kind: 'result-not-found', times: 1 }] }));
    expect(once.report.ok).toBe(true);
    expect(once.requests.filter((r) => r.operation === 'ManagedClusters_RunCommand')).toHaveLength(2);
    const twice = await doctorOne(clusterInput({ faults: [{ kind: 'result-not-found', times: 2 }] }));
    expect(statuses(twice.report.checks)).toMatchObject({ 'arm-run-command': 'pass', 'arm-command-result': 'fail', 'command-pod': 'skip' });
    expect(twice.check('arm-command-result').detail).toMatch(/command pod did not start \(after one retry\)/);
    expect(twice.check('arm-command-result').fix).toMatch(/never started/);
  });

  it('a command pod that never starts within 30 s (KubernetesPerformanceError on every POST) fails run-command with that fix', async () => {
    const { check } = await doctorOne(clusterInput({ faults: [{ kind: 'not-started' }] }));
    expect(check('arm-run-command')).toMatchObject({ status: 'fail', detail: expect.stringContaining('KubernetesPerformanceError') });
    expect(check('arm-run-command').fix).toMatch(/did not start/);
  });

  it("missing Azure permissions show as ARM's 403 AuthorizationFailed on the call that needs them", async () => {
    const read = await doctorOne(clusterInput({ faults: [{ kind: 'forbidden', operation: 'ManagedClusters_Get' }] }));
    expect(read.check('arm-read')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^GET the cluster: 403 AuthorizationFailed: .*managedClusters\/read/),
    });
    expect(read.report.checks.filter((c) => c.status === 'skip')).toHaveLength(DOCTOR_CHECK_IDS.length - 1);

    const run = await doctorOne(clusterInput({ faults: [{ kind: 'forbidden', operation: 'ManagedClusters_RunCommand' }] }));
    expect(run.check('arm-run-command')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^403 AuthorizationFailed: .*does not have authorization to perform action 'Microsoft\.ContainerService\/managedClusters\/runCommand\/action'/,
      ),
    });
    expect(run.check('arm-run-command').fix).toMatch(/runCommand\/action/);
    expect(run.requests.find((r) => r.operation === 'ManagedClusters_RunCommand')?.errorCode).toBe('AuthorizationFailed');

    const result = await doctorOne(clusterInput({ faults: [{ kind: 'forbidden', operation: 'ManagedClusters_GetCommandResult' }] }));
    expect(statuses(result.report.checks)).toMatchObject({ 'arm-run-command': 'pass', 'arm-command-result': 'fail', rbac: 'skip' });
    expect(result.check('arm-command-result').detail).toMatch(/commandResults\/read/);
    expect(result.check('arm-command-result').fix).toMatch(/Cluster Admin Role" has runCommand but not this/);
  });

  it('missing Kubernetes RBAC: rbac names each permission not granted, and the checks that need them fail with the API server message', async () => {
    const { check, report } = await doctorOne(clusterInput({ rbacDenied: ['list nodes', 'create jobs.batch'] }));
    expect(check('rbac')).toMatchObject({ status: 'fail', detail: 'not granted: create jobs.batch (no); list nodes (no);' });
    expect(check('rbac').fix).toMatch(/aksfs-scanner-rbac\.yaml/);
    expect(check('nodes').detail).toMatch(/cannot list resource "nodes" in API group "" at the cluster scope/);
    expect(statuses(report.checks)).toMatchObject({ namespace: 'pass', admission: 'skip', image: 'skip' });
    const noJobs = await doctorOne(clusterInput({ rbacDenied: ['create jobs.batch'] }));
    expect(noJobs.check('admission').detail).toMatch(/cannot create resource "jobs" in API group "batch"/);
  });

  it('a stopped cluster or one with run-command disabled fails cluster-state and sends no command', async () => {
    for (const over of [{ powerState: 'Stopped' as const }, { runCommandDisabled: true }]) {
      const { check, requests } = await doctorOne(clusterInput(over));
      expect(check('cluster-state').status).toBe('fail');
      expect(check('cluster-state').fix).toBeTruthy();
      expect(requests.some((r) => r.operation === 'ManagedClusters_RunCommand')).toBe(false);
    }
  });
});
