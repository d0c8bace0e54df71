/** ARM's ManagedCluster → our ClusterRef: plain data, everything later stages need and nothing else. */
import type { ManagedCluster } from '@azure/arm-containerservice';
import type { ClusterRef, NodePoolRef } from '../model/cluster.js';
import { CLUSTER_ID } from '../model/ids.js';

/** Splits /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/managedClusters/{n}. */
export function parseClusterId(id: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const m = CLUSTER_ID.exec(id.trim());
  if (!m) throw new Error(`not an AKS cluster resource id: ${JSON.stringify(id)}`);
  return { subscriptionId: m[1] as string, resourceGroup: m[2] as string, name: m[3] as string };
}

export function toClusterRef(mc: ManagedCluster): ClusterRef {
  const id = mc.id ?? '';
  const { subscriptionId, resourceGroup, name } = parseClusterId(id);
  const pools: NodePoolRef[] = (mc.agentPoolProfiles ?? []).map((p) => ({
    name: p.name,
    osType: p.osType === 'Windows' ? 'Windows' : 'Linux',
    mode: p.mode === 'System' ? 'System' : p.mode === 'Gateway' ? 'Gateway' : 'User',
    count: p.count ?? 0,
    nodeImageVersion: p.nodeImageVersion ?? null,
    orchestratorVersion: p.currentOrchestratorVersion ?? p.orchestratorVersion ?? null,
  }));
  return {
    id,
    subscriptionId,
    resourceGroup,
    name: mc.name ?? name,
    location: mc.location,
    kubernetesVersion: mc.currentKubernetesVersion ?? mc.kubernetesVersion ?? '',
    pools,
    aadManaged: mc.aadProfile?.managed === true,
    azureRbac: mc.aadProfile?.enableAzureRbac === true,
    private: mc.apiServerAccessProfile?.enablePrivateCluster === true,
    powerState: mc.powerState?.code ?? 'Running',
    provisioningState: mc.provisioningState ?? 'Unknown',
    runCommandDisabled: mc.apiServerAccessProfile?.disableRunCommand === true,
    nodeAutoProvisioning: mc.nodeProvisioningProfile?.mode === 'Auto' || mc.sku?.name === 'Automatic',
    tags: { ...(mc.tags ?? {}) },
  };
}

/**
 * A cluster as raw ARM JSON (Resource Graph rows keep `properties` nested, as the REST API does),
 * into the SDK's flattened shape, then a ClusterRef. Null for a row that is not a cluster.
 */
export function clusterRefFromArmJson(row: unknown): ClusterRef | null {
  if (typeof row !== 'object' || row === null) return null;
  const r = row as Record<string, unknown>;
  const props = (typeof r['properties'] === 'object' && r['properties'] !== null ? r['properties'] : {}) as Record<string, unknown>;
  if (typeof r['id'] !== 'string') return null;
  try {
    parseClusterId(r['id']);
  } catch {
    return null;
  }
  const aad = props['aadProfile'] as Record<string, unknown> | undefined;
  const flattened = {
    ...props,
    id: r['id'],
    name: r['name'],
    location: String(r['location'] ?? ''),
    tags: (r['tags'] ?? {}) as Record<string, string>,
    ...(r['sku'] ? { sku: r['sku'] } : {}),
    // The REST API spells it enableAzureRBAC; the SDK's model enableAzureRbac.
    ...(aad ? { aadProfile: { ...aad, enableAzureRbac: aad['enableAzureRBAC'] ?? aad['enableAzureRbac'] } } : {}),
  } as unknown as ManagedCluster;
  return toClusterRef(flattened);
}
