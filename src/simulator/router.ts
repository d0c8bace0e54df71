/**
 * Maps an ARM request path to the operation it names, and knows which api-versions each resource
 * provider accepts. Pure functions: no fleet, no state.
 */
import type { ArmError } from './arm-errors.js';
import { armErrors } from './arm-errors.js';
import type { OperationName } from './fleet-spec.js';

/**
 * Every stable api-version of Microsoft.ContainerService/managedClusters from 2022 on, as ARM accepts them, so that
 * the Azure CLI and older SDKs (each pinned to its own version) can drive the simulator. Sources, in
 * Azure/azure-rest-api-specs (specification/containerservice/resource-manager/Microsoft.ContainerService/aks/):
 * readme.md at 01659c8679e1f52ec5fa057cdecc078f0cd3c556 (package tags to 2024-01-01); the pulumi azure-native 3.12.0
 * getManagedCluster.js list of available versions (2024-02-01 ... 2024-09-01, no stable 2024-03/04/06);
 * stable/<version>/managedClusters.json present for 2024-10-01 and 2025-01-01 ... 2025-09-01, 2026-01-01; the SDK
 * defaults for 2025-10-01 (25.x), 2026-04-01 (25.3.0) and 2026-06-01 (25.5.0). Previews are not served.
 */
export const CONTAINER_SERVICE_API_VERSIONS = [
  '2022-01-01',
  '2022-02-01',
  '2022-03-01',
  '2022-04-01',
  '2022-06-01',
  '2022-07-01',
  '2022-09-01',
  '2022-11-01',
  '2023-01-01',
  '2023-02-01',
  '2023-03-01',
  '2023-04-01',
  '2023-05-01',
  '2023-06-01',
  '2023-07-01',
  '2023-08-01',
  '2023-09-01',
  '2023-10-01',
  '2023-11-01',
  '2024-01-01',
  '2024-02-01',
  '2024-05-01',
  '2024-07-01',
  '2024-08-01',
  '2024-09-01',
  '2024-10-01',
  '2025-01-01',
  '2025-02-01',
  '2025-03-01',
  '2025-04-01',
  '2025-05-01',
  '2025-06-01',
  '2025-07-01',
  '2025-08-01',
  '2025-09-01',
  '2025-10-01',
  '2026-01-01',
  '2026-04-01',
  '2026-06-01',
] as const;
/**
 * Stable Microsoft.Resources subscriptions versions (azure-rest-api-specs specification/resources/resource-manager/
 * Microsoft.Resources/subscriptions/stable/<version>): @azure/arm-resources-subscriptions 2.x sends 2022-12-01.
 */
export const SUBSCRIPTIONS_API_VERSIONS = ['2016-06-01', '2018-06-01', '2019-06-01', '2019-11-01', '2020-01-01', '2021-01-01', '2022-12-01'] as const;
/**
 * Stable Microsoft.ResourceGraph versions (azure-rest-api-specs specification/resourcegraph/resource-manager/
 * Microsoft.ResourceGraph/stable/<version>): @azure/arm-resourcegraph 4.x sends 2021-03-01.
 */
export const RESOURCE_GRAPH_API_VERSIONS = ['2019-04-01', '2021-03-01', '2022-10-01', '2024-04-01'] as const;

export type Family = 'subscriptions' | 'containerservice' | 'graph';

export interface Route {
  operation: OperationName;
  method: 'GET' | 'POST';
  family: Family;
  subscriptionId?: string;
  resourceGroup?: string;
  clusterName?: string;
  commandId?: string;
}

/** Operations on one cluster: the ones a cluster fault without an `operation` applies to. */
export const CLUSTER_OPS: ReadonlySet<OperationName> = new Set(['ManagedClusters_Get', 'ManagedClusters_RunCommand', 'ManagedClusters_GetCommandResult']);

/** The path's segments, percent-decoded where they decode. */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter(Boolean)
    .map((x) => {
      try {
        return decodeURIComponent(x);
      } catch {
        return x;
      }
    });
}

/** Matches the ARM path case-insensitively, as ARM does. */
export function route(method: string, segments: string[]): Route | ArmError {
  const s = segments.map((x) => x.toLowerCase());
  const raw = segments;
  const expect = (m: Route['method'], r: Omit<Route, 'method'>): Route | ArmError => (method === m ? { ...r, method: m } : armErrors.methodNotAllowed(method));
  if (s[0] === 'providers' && s[1] === 'microsoft.resourcegraph' && s[2] === 'resources' && s.length === 3) {
    return expect('POST', { operation: 'Resources_Query', family: 'graph' });
  }
  if (s[0] !== 'subscriptions') return armErrors.pathNotFound('/' + raw.join('/'));
  if (s.length === 1) return expect('GET', { operation: 'Subscriptions_List', family: 'subscriptions' });
  const subscriptionId = raw[1] ?? '';
  if (s.length === 2) return expect('GET', { operation: 'Subscriptions_Get', family: 'subscriptions', subscriptionId });
  const isProvider = (i: number): boolean => s[i] === 'providers' && s[i + 1] === 'microsoft.containerservice' && s[i + 2] === 'managedclusters';
  if (isProvider(2) && s.length === 5) return expect('GET', { operation: 'ManagedClusters_List', family: 'containerservice', subscriptionId });
  if (s[2] === 'resourcegroups' && s.length >= 7 && isProvider(4)) {
    const base = { family: 'containerservice' as const, subscriptionId, resourceGroup: raw[3] ?? '' };
    if (s.length === 7) return expect('GET', { ...base, operation: 'ManagedClusters_ListByResourceGroup' });
    const clusterName = raw[7] ?? '';
    if (s.length === 8) return expect('GET', { ...base, operation: 'ManagedClusters_Get', clusterName });
    if (s.length === 9 && s[8] === 'runcommand') return expect('POST', { ...base, operation: 'ManagedClusters_RunCommand', clusterName });
    if (s.length === 10 && s[8] === 'commandresults') {
      return expect('GET', { ...base, operation: 'ManagedClusters_GetCommandResult', clusterName, commandId: raw[9] ?? '' });
    }
  }
  return armErrors.pathNotFound('/' + raw.join('/'));
}

/**
 * null when the family accepts `v`; else the 400 ARM answers. A resource provider's type (managedClusters) is
 * refused by ARM's provider routing with NoRegisteredProviderFound, naming the location and listing the versions
 * (as in Azure/azure-cli#28368); ARM's own types (subscriptions) and Resource Graph with InvalidApiVersionParameter.
 */
export function checkApiVersion(family: Family, v: string, location = 'eastus'): ArmError | null {
  if (family === 'containerservice') {
    return (CONTAINER_SERVICE_API_VERSIONS as readonly string[]).includes(v)
      ? null
      : armErrors.noRegisteredProvider(v, 'managedClusters', location, CONTAINER_SERVICE_API_VERSIONS);
  }
  const [supported, resourceType] = family === 'graph' ? [RESOURCE_GRAPH_API_VERSIONS, 'resources'] : [SUBSCRIPTIONS_API_VERSIONS, 'subscriptions'];
  return (supported as readonly string[]).includes(v) ? null : armErrors.invalidApiVersion(v, resourceType, supported);
}

/** The RBAC action ARM checks for an operation, as AuthorizationFailed names it. */
export function actionOf(op: OperationName): string {
  if (op === 'ManagedClusters_RunCommand') return 'Microsoft.ContainerService/managedClusters/runCommand/action';
  if (op === 'ManagedClusters_GetCommandResult') return 'Microsoft.ContainerService/managedClusters/commandResults/read';
  return 'Microsoft.ContainerService/managedClusters/read';
}
