/**
 * ARM JSON for the fleet's resources, field for field as in the azure-rest-api-specs examples
 * (shared/arm: ManagedClustersList/Get, GetSubscriptions), with the fields the scanner reads
 * (powerState, aadProfile, apiServerAccessProfile, agent pool mode and image) filled in.
 */
import type { ClusterSpec, FleetSpec, PoolSpec, SubscriptionSpec } from './fleet-spec.js';
import { hash32, uuidFrom } from './random.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function clusterId(
  c: Pick<ClusterSpec, 'subscriptionId' | 'resourceGroup' | 'name'>,
  rgSegment: 'resourceGroups' | 'resourcegroups' = 'resourceGroups',
): string {
  return `/subscriptions/${c.subscriptionId}/${rgSegment}/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
}

function etag(s: string): string {
  return hash32(s).toString(36).padStart(7, 'x');
}

function nodeImageVersion(pool: PoolSpec, k8s: string): string {
  if (pool.nodeImageVersion) return pool.nodeImageVersion;
  if (pool.osType === 'Windows') return 'AKSWindows-2022-containerd-20348.2966.241113';
  const [maj, min] = k8s.split('.').map(Number);
  // AKS moved its default Linux image to Ubuntu 24.04 at Kubernetes 1.34.
  const ubuntu = (maj ?? 1) > 1 || (min ?? 0) >= 34 ? '2404' : '2204';
  return `AKSUbuntu-${ubuntu}gen2containerd-202611.10.0`;
}

function fullVersion(v: string): string {
  return v.split('.').length === 2 ? `${v}.${hash32(v) % 9}` : v;
}

function poolBody(c: ClusterSpec, p: PoolSpec): Json {
  const version = fullVersion(p.orchestratorVersion ?? c.kubernetesVersion);
  return {
    name: p.name,
    count: p.count,
    vmSize: p.vmSize,
    maxPods: p.osType === 'Windows' ? 30 : 110,
    osDiskSizeGB: 128,
    osDiskType: 'Ephemeral',
    kubeletDiskType: 'OS',
    type: 'VirtualMachineScaleSets',
    enableAutoScaling: false,
    provisioningState: p.provisioningState,
    powerState: { code: c.powerState === 'Stopped' ? 'Stopped' : p.powerState },
    orchestratorVersion: version,
    currentOrchestratorVersion: version,
    enableNodePublicIP: false,
    mode: p.mode,
    osType: p.osType,
    osSKU: p.osSKU ?? (p.osType === 'Windows' ? 'Windows2022' : 'Ubuntu'),
    nodeImageVersion: nodeImageVersion(p, version),
    upgradeSettings: { maxSurge: '10%' },
    enableFIPS: false,
    eTag: etag(`${c.name}/${p.name}`),
  };
}

/** One managedCluster resource. `listStyle` mimics the List example's lower-case "resourcegroups" and type casing. */
export function clusterBody(c: ClusterSpec, tenantId: string, listStyle: boolean): Json {
  const version = fullVersion(c.kubernetesVersion);
  const dnsPrefix = `${c.name.slice(0, 30)}-dns`.toLowerCase();
  const host = `${dnsPrefix}-${etag(c.name).slice(0, 8)}.hcp.${c.location}.azmk8s.io`;
  const properties: Record<string, Json> = {
    provisioningState: c.provisioningState,
    powerState: { code: c.powerState },
    kubernetesVersion: version,
    currentKubernetesVersion: version,
    dnsPrefix,
    azurePortalFQDN: `${dnsPrefix}-${etag(c.name).slice(0, 8)}.portal.hcp.${c.location}.azmk8s.io`,
    maxAgentPools: 100,
    // Karpenter node pools live in the cluster only, not among ARM's agent pools.
    agentPoolProfiles: c.pools.filter((p) => !p.karpenter).map((p) => poolBody(c, p)),
    linuxProfile: { adminUsername: 'azureuser', ssh: { publicKeys: [{ keyData: 'keydata' }] } },
    servicePrincipalProfile: { clientId: 'msi' },
    nodeResourceGroup: `MC_${c.resourceGroup}_${c.name}_${c.location}`,
    enableRBAC: true,
    supportPlan: 'KubernetesOfficial',
    networkProfile: {
      networkPlugin: 'azure',
      networkPluginMode: 'overlay',
      networkPolicy: 'none',
      loadBalancerSku: 'standard',
      outboundType: 'loadBalancer',
      podCidr: '10.244.0.0/16',
      serviceCidr: '10.0.0.0/16',
      dnsServiceIP: '10.0.0.10',
      podCidrs: ['10.244.0.0/16'],
      serviceCidrs: ['10.0.0.0/16'],
      ipFamilies: ['IPv4'],
    },
    apiServerAccessProfile: { enablePrivateCluster: c.private, disableRunCommand: c.runCommandDisabled },
    disableLocalAccounts: c.aad?.managed === true,
    // Node auto-provisioning (always on for AKS Automatic): Karpenter makes the nodes.
    nodeProvisioningProfile: { mode: c.nodeProvisioning === 'Manual' ? 'Manual' : 'Auto' },
  };
  if (c.private) {
    properties['privateFQDN'] = `${dnsPrefix}-${etag(c.name).slice(0, 8)}.privatelink.${c.location}.azmk8s.io`;
  } else {
    properties['fqdn'] = host;
  }
  if (c.aad) {
    properties['aadProfile'] = {
      managed: c.aad.managed,
      enableAzureRBAC: c.aad.enableAzureRbac,
      adminGroupObjectIDs: c.aad.adminGroupObjectIDs,
      tenantID: tenantId,
    };
  }
  return {
    id: clusterId(c, listStyle ? 'resourcegroups' : 'resourceGroups'),
    location: c.location,
    name: c.name,
    tags: c.tags,
    type: listStyle ? 'Microsoft.ContainerService/ManagedClusters' : 'Microsoft.ContainerService/managedClusters',
    eTag: etag(clusterId(c)),
    sku: { name: c.nodeProvisioning === 'Automatic' ? 'Automatic' : 'Base', tier: 'Standard' },
    identity: { type: 'SystemAssigned', principalId: uuidFrom(`principal/${clusterId(c)}`), tenantId },
    properties,
  };
}

export function subscriptionBody(s: SubscriptionSpec, tenantId: string): Json {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    subscriptionId: s.subscriptionId,
    tenantId,
    displayName: s.displayName,
    state: s.state,
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    tags: s.tags,
  };
}

/** A Resource Graph row (objectArray format) for a cluster: the resource plus the table's extra columns. */
export function graphRow(c: ClusterSpec, fleet: FleetSpec): Json {
  const body = clusterBody(c, fleet.tenantId, false) as Record<string, Json>;
  return {
    ...body,
    id: clusterId(c),
    type: 'microsoft.containerservice/managedclusters',
    kind: '',
    resourceGroup: c.resourceGroup.toLowerCase(),
    subscriptionId: c.subscriptionId,
    tenantId: fleet.tenantId,
    managedBy: '',
    plan: null,
    zones: null,
    extendedLocation: null,
  };
}
