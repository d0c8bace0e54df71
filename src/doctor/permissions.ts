/**
 * The Kubernetes permissions a scan needs, which the doctor asks `kubectl auth can-i` about. Defined
 * once here; test/doctor/permissions.test.ts holds them equal to what the Role and ClusterRole of
 * infra/kubernetes/aksfs-scanner-rbac.yaml grant (which test/infra/clusterrole.test.ts in turn holds
 * to the scan script's kubectl calls).
 */
export interface Permission {
  verb: string;
  /** As `kubectl auth can-i` takes it: resource[.group], or resource/subresource. */
  resource: string;
  /** 'ns': in the scan namespace; 'cluster': cluster-scoped. */
  scope: 'ns' | 'cluster';
}

export const SCAN_PERMISSIONS: readonly Permission[] = [
  ...['get', 'list', 'create', 'delete'].map((verb): Permission => ({ verb, resource: 'jobs.batch', scope: 'ns' })),
  { verb: 'get', resource: 'pods', scope: 'ns' },
  { verb: 'list', resource: 'pods', scope: 'ns' },
  { verb: 'get', resource: 'pods/log', scope: 'ns' },
  { verb: 'list', resource: 'events', scope: 'ns' },
  { verb: 'list', resource: 'nodes', scope: 'cluster' },
];

/** doctor.env's AKSFS_CAN_I: verb:resource:scope, comma-separated. */
export function formatCanI(perms: readonly Permission[]): string {
  return perms.map((p) => `${p.verb}:${p.resource}:${p.scope}`).join(',');
}
