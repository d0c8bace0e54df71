/**
 * The cases a real AKS fleet has and a plain simulator does not: admission policies that exempt
 * only some namespaces, Karpenter node pools ARM does not list, nodes that cannot pull the image,
 * and a per-cluster image.
 */
import { describe, expect, it } from 'vitest';
import { clusterInput, scanOne } from './sim-scan.js';

const POLICY = 'azurepolicy-k8sazurev2blockhostnamespace-e3b0c44298fc1c149afb';

describe('scanning clusters as real AKS has them', () => {
  it('a policy denying hostPID and hostPath that exempts the scan namespace: scanned', async () => {
    const { scan } = await scanOne(clusterInput({ admission: { policy: POLICY, excludedNamespaces: ['kube-system', 'aks-fleet-scanner'] } }));
    expect(scan.outcome.kind).toBe('scanned');
  });

  it('the same policy without the exemption: admission-denied, naming the policy and the Job', async () => {
    const { scan } = await scanOne(clusterInput({ admission: { policy: POLICY, excludedNamespaces: ['kube-system'] } }));
    expect(scan.outcome).toMatchObject({ kind: 'failed', reason: 'admission-denied' });
    expect(scan.outcome.kind === 'failed' && scan.outcome.detail).toContain(`the kube-bench Job was denied by policy ${POLICY}`);
  });

  it('Karpenter nodes ARM does not list are scanned, one per node pool, with their own benchmark', async () => {
    const { scan } = await scanOne(
      clusterInput({
        kubernetesVersion: '1.33.2',
        pools: [
          { name: 'system', mode: 'System', count: 2, orchestratorVersion: '1.33.2' },
          { name: 'default', count: 3, karpenter: true, orchestratorVersion: '1.31.5' },
        ],
      }),
    );
    expect(scan.outcome.kind).toBe('scanned');
    if (scan.outcome.kind !== 'scanned') return;
    expect(scan.cluster.pools.map((p) => p.name)).toEqual(['system']);
    expect(scan.outcome.nodes.map((n) => [n.pool, n.benchmark])).toEqual([
      ['default', 'aks-1.7'],
      ['system', 'aks-1.8'],
    ]);
    expect(scan.outcome.nodeFailures).toEqual([]);
  });

  it('a pool whose nodes cannot pull the image: the node says image-pull; all of them: the cluster fails with the fix', async () => {
    const some = await scanOne(
      clusterInput({
        pools: [
          { name: 'system', mode: 'System', count: 1 },
          { name: 'locked', count: 2, nodeStatus: { status: 'image-pull' } },
        ],
      }),
    );
    expect(some.scan.outcome.kind === 'scanned' && some.scan.outcome.nodeFailures.map((f) => [f.pool, f.status])).toEqual([['locked', 'image-pull']]);
    const all = await scanOne(clusterInput({ pools: [{ name: 'system', mode: 'System', count: 2, nodeStatus: { status: 'image-pull' } }] }));
    expect(all.scan.outcome).toMatchObject({ kind: 'failed', reason: 'image-pull' });
    expect(all.scan.outcome.kind === 'failed' && all.scan.outcome.detail).toMatch(/az acr import.*AcrPull.*aks-fleet-scanner-image/);
  });

  it('the cluster tag aks-fleet-scanner-image overrides the image; a bad one fails the cluster as bad-setting', async () => {
    const good = await scanOne(clusterInput({ tags: { 'aks-fleet-scanner-image': 'myacr.azurecr.io/aquasec/kube-bench:v0.15.6' } }));
    expect(good.scan.outcome.kind).toBe('scanned');
    const bad = await scanOne(clusterInput({ tags: { 'aks-fleet-scanner-image': 'kube-bench; rm -rf /' } }));
    expect(bad.scan.outcome).toMatchObject({ kind: 'failed', reason: 'bad-setting', detail: expect.stringContaining('aks-fleet-scanner-image') });
    expect(bad.requests.some((r) => r.operation === 'ManagedClusters_RunCommand')).toBe(false);
  });
});
