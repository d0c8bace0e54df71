import { describe, expect, it } from 'vitest';
import { deniedPolicy, failureFromCommandReason, failureFromError, failureFromNodeStatus, kubernetesForbidden, ScanError } from '../../src/scan/failure.js';

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
