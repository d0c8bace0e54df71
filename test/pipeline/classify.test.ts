/**
 * Each check is judged at its node pool's version: a pool that lags behind the control plane keeps
 * a FAIL that AKS fixed only in a later version, while an up-to-date pool of the same cluster does not.
 */
import { describe, expect, it } from 'vitest';
import { classifierFor } from '../../src/pipeline/classify.js';
import { rollup } from '../../src/store/rollup.js';
import { cluster } from '../fixtures/clusters.js';
import { node, scanned } from '../store/fixtures.js';

const pool = (name: string, orchestratorVersion: string | null) =>
  ({ name, osType: 'Linux', mode: 'User', count: 1, nodeImageVersion: null, orchestratorVersion }) as const;

describe('classification per node pool version', () => {
  const ref = cluster({ kubernetesVersion: '1.31.2', pools: [pool('lagging', '1.26.6'), pool('current', '1.31.2')] });
  // 3.2.9 (RotateKubeletServerCertificate) is the customer's below 1.27, where AKS did not rotate serving certificates.
  const scan = scanned(ref, [node('n-lagging', 'lagging', ['3.2.9']), node('n-current', 'current', ['3.2.9'])]);
  const r = rollup(scan, classifierFor(ref));
  const verdict = (p: string) => r.checks.find((c) => c.pool === p && c.id === '3.2.9')?.disposition;

  it('judges the same check differently on a pool below the version gate and on a current one', () => {
    expect(verdict('lagging')).toBe('action');
    expect(verdict('current')).not.toBe('action');
    expect(verdict('current')).not.toBe('environment');
  });

  it('counts the check as yours for the cluster when any pool says so', () => {
    expect(r.triage).toEqual({ action: 1 });
  });

  it('judges a node outside the ARM pools (Karpenter) at the oldest Linux pool version', () => {
    const k = rollup(scanned(ref, [node('n-karpenter', 'karpenter-default', ['3.2.9'])]), classifierFor(ref));
    expect(k.checks.find((c) => c.id === '3.2.9')?.disposition).toBe('action');
    const upToDate = cluster({ kubernetesVersion: '1.31.2', pools: [pool('current', null)] });
    expect(rollup(scanned(upToDate, [node('n-karpenter', 'karpenter-default', ['3.2.9'])]), classifierFor(upToDate)).triage['action']).toBeUndefined();
  });
});
