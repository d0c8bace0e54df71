import { describe, expect, it } from 'vitest';
import { inScope, skipDecision } from '../../src/discover/filters.js';
import { parseClusterId, toClusterRef } from '../../src/discover/cluster-ref.js';
import { cluster } from '../fixtures/clusters.js';

describe('skip decision: every in-scope cluster is scanned or skipped with a reason', () => {
  it.each([
    ['a healthy cluster', cluster(), null],
    ['opted out by tag', cluster({ tags: { 'AKS-Fleet-Scanner': 'Skip' } }), 'opted-out'],
    ['stopped', cluster({ powerState: 'Stopped' }), 'stopped'],
    ['still updating', cluster({ provisioningState: 'Updating' }), 'not-succeeded'],
    ['run-command disabled', cluster({ runCommandDisabled: true }), 'run-command-disabled'],
    [
      'Windows pools only',
      cluster({ pools: [{ name: 'win', osType: 'Windows', mode: 'System', count: 3, nodeImageVersion: null, orchestratorVersion: null }] }),
      'no-linux-pool',
    ],
    [
      // AKS Automatic / node auto-provisioning: Karpenter's Linux nodes are not ARM agent pools.
      'node auto-provisioning with Windows agent pools only',
      cluster({
        nodeAutoProvisioning: true,
        pools: [{ name: 'win', osType: 'Windows', mode: 'User', count: 3, nodeImageVersion: null, orchestratorVersion: null }],
      }),
      null,
    ],
    ['node auto-provisioning with no agent pool listed', cluster({ nodeAutoProvisioning: true, pools: [] }), null],
  ])('%s', (_n, c, reason) => {
    expect(skipDecision(c)?.reason ?? null).toBe(reason);
  });

  it('reads node auto-provisioning from nodeProvisioningProfile.mode Auto or the Automatic SKU', () => {
    const id = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c';
    const base = { id, name: 'c', location: 'westeurope', provisioningState: 'Succeeded', agentPoolProfiles: [] };
    expect(toClusterRef({ ...base, nodeProvisioningProfile: { mode: 'Auto' } }).nodeAutoProvisioning).toBe(true);
    expect(toClusterRef({ ...base, sku: { name: 'Automatic', tier: 'Standard' } }).nodeAutoProvisioning).toBe(true);
    expect(toClusterRef({ ...base, nodeProvisioningProfile: { mode: 'Manual' } }).nodeAutoProvisioning).toBe(false);
    expect(skipDecision(toClusterRef({ ...base, nodeProvisioningProfile: { mode: 'Manual' } }))?.reason).toBe('no-linux-pool');
    expect(skipDecision(toClusterRef({ ...base, sku: { name: 'Automatic', tier: 'Standard' } }))).toBeNull();
  });

  it('opting out wins over everything else, and exclude tags skip with their name', () => {
    expect(skipDecision(cluster({ powerState: 'Stopped', tags: { 'aks-fleet-scanner': 'skip' } }))?.reason).toBe('opted-out');
    expect(skipDecision(cluster({ tags: { env: 'sandbox' } }), { excludeTags: ['env=sandbox'] })).toEqual({
      reason: 'opted-out',
      detail: 'excluded by tag filter env=sandbox',
    });
  });

  it('resource-group pattern and include tags select the scope', () => {
    expect(inScope(cluster(), { resourceGroupPattern: 'RG*' })).toBe(true);
    expect(inScope(cluster(), { resourceGroupPattern: 'prod-*' })).toBe(false);
    expect(inScope(cluster({ tags: { env: 'prod', team: 'a' } }), { includeTags: ['env=prod', 'team'] })).toBe(true);
    expect(inScope(cluster({ tags: { env: 'dev' } }), { includeTags: ['env=prod'] })).toBe(false);
  });

  it('parses ARM ids whatever their casing', () => {
    const sub = '0B1F6471-1BF0-4DDA-AEC3-111122223333';
    expect(parseClusterId(`/subscriptions/${sub}/resourcegroups/G/providers/Microsoft.ContainerService/managedClusters/N`)).toEqual({
      subscriptionId: sub,
      resourceGroup: 'G',
      name: 'N',
    });
    expect(() => parseClusterId(`/subscriptions/${sub}/resourceGroups/G`)).toThrow(/not an AKS cluster resource id/);
    // The one CLUSTER_ID of src/model: a subscription is a GUID, names are within ARM's lengths.
    expect(() => parseClusterId('/subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerService/managedClusters/N')).toThrow(/not an AKS cluster/);
    expect(() => parseClusterId(`/subscriptions/${sub}/resourceGroups/G/providers/Microsoft.ContainerService/managedClusters/${'n'.repeat(64)}`)).toThrow(
      /not an AKS cluster/,
    );
  });
});
