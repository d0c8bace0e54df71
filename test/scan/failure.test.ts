import { describe, expect, it } from 'vitest';
import {
  admissionDenial,
  deniedPolicy,
  failureFromCommandReason,
  failureFromError,
  failureFromNodeStatus,
  kubernetesForbidden,
  ScanError,
} from '../../src/scan/failure.js';

const rest = (statusCode: number | undefined, code: string, message: string) => Object.assign(new Error(message), { name: 'RestError', statusCode, code });

describe('failure reasons', () => {
  it.each([
    [rest(404, 'ResourceNotFound', 'The Resource ... was not found.'), 'not-found'],
    [rest(403, 'AuthorizationFailed', 'does not have authorization to perform action runCommand/action'), 'forbidden'],
    [rest(400, 'MissingAADClusterToken', 'clusterToken is required'), 'missing-cluster-token'],
    [rest(500, 'KubernetesPerformanceError', 'container command-abc in aks-command namespace did not start within 30s'), 'command-not-started'],
    [rest(429, 'Throttled', 'Please retry after 10 seconds'), 'throttled'],
    [rest(503, 'ServiceUnavailable', 'try later'), 'arm-unavailable'],
    [rest(undefined, '', 'read ECONNRESET'), 'arm-unavailable'],
    [Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }), 'timeout'],
    [new ScanError('unparseable-output', 'x'), 'unparseable-output'],
    ['a string', 'internal'],
  ])('%s → %s', (e, reason) => {
    expect(failureFromError(e, 'cluster c').reason).toBe(reason);
  });

  it('command failures by their reason, naming the denying policy', () => {
    expect(failureFromCommandReason('ImagePullBackoff')).toMatchObject({ reason: 'image-pull' });
    const denial =
      'admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-k8sazurev2noprivilege-9d1b] Privileged container is not allowed';
    expect(failureFromCommandReason(denial)).toMatchObject({
      reason: 'admission-denied',
      detail: expect.stringContaining('denied by policy azurepolicy-k8sazurev2noprivilege-9d1b'),
    });
    expect(deniedPolicy('admission webhook "validation.gatekeeper.sh" denied the request')).toBe('validation.gatekeeper.sh');
    expect(failureFromCommandReason('')).toMatchObject({ reason: 'command-failed' });
  });

  // Text as kubectl prints a Gatekeeper (Azure Policy) denial on AKS: GoogleCloudPlatform/PerfKitBenchmarker#6089.
  const GATEKEEPER_FORBIDDEN =
    'Error from server (Forbidden): error when creating "STDIN": admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-k8sazurev2blockhostnamespace-e3b0c44298fc1c149afb] Sharing the host namespace is not allowed: kb-0';
  const PSA_FORBIDDEN =
    'Error from server (Forbidden): error when creating "STDIN": pods "command-1a2b" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)';

  it('an admission denial is recognised before RBAC and before the HTTP status', () => {
    expect(admissionDenial(GATEKEEPER_FORBIDDEN)).toContain('validation.gatekeeper.sh');
    expect(admissionDenial('Error from server (Forbidden): jobs.batch is forbidden: User "x" cannot create resource "jobs"')).toBeNull();
    // The command pod itself refused, returned by ARM as an error: not "internal", not "forbidden".
    for (const [status, code] of [
      [400, 'BadRequest'],
      [403, 'Forbidden'],
      [500, 'InternalServerError'],
    ] as const) {
      const f = failureFromError(rest(status, code, PSA_FORBIDDEN), 'cluster c');
      expect(f.reason).toBe('admission-denied');
      expect(f.detail).toContain('run-command pod');
    }
    expect(failureFromError(rest(403, 'Forbidden', GATEKEEPER_FORBIDDEN), 'cluster c').detail).toContain(
      'by policy azurepolicy-k8sazurev2blockhostnamespace-e3b0c44298fc1c149afb',
    );
    expect(failureFromCommandReason(PSA_FORBIDDEN).reason).toBe('admission-denied');
  });

  it('node statuses map to cluster reasons when no node could be scanned', () => {
    expect(failureFromNodeStatus('forbidden')).toBe('forbidden');
    expect(failureFromNodeStatus('admission-denied')).toBe('admission-denied');
    expect(failureFromNodeStatus('truncated')).toBe('output-truncated');
    expect(failureFromNodeStatus('corrupt')).toBe('unparseable-output');
    expect(failureFromNodeStatus('unschedulable')).toBe('unschedulable');
    expect(failureFromNodeStatus('not-started')).toBe('command-not-started');
  });

  it('finds Kubernetes RBAC denials in command output', () => {
    expect(kubernetesForbidden('x\nError from server (Forbidden): namespaces is forbidden: User "y" cannot create resource "namespaces"\n')).toMatch(
      /^Error from server \(Forbidden\)/,
    );
    expect(kubernetesForbidden('all good')).toBeNull();
  });
});
