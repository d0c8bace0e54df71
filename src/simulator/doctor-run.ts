/**
 * What src/scan/incluster/aksfs-doctor.sh prints on a simulated cluster, from the cluster's spec:
 * Kubernetes permissions it lacks (rbacDenied), its admission policy, its node groups (Karpenter
 * ones included) and the status its pools' nodes give a pod (image-pull, unschedulable).
 */
import type { DoctorEnv } from '../doctor/request.js';
import { formatCheckLine } from '../doctor/lines.js';
import { SCAN_PERMISSIONS } from '../doctor/permissions.js';
import type { ClusterSpec } from './fleet-spec.js';
import { poolNodes } from './nodes.js';
import { admissionDenial, DEFAULT_NODE_REASONS } from './run-logs.js';

const FIRST_TOOLS = 'kubectl jq awk sed grep cut head tail wc sort paste mktemp sleep';

/** kubectl's words for an RBAC refusal of the identity the command runs as. */
export function rbacRefusal(verb: string, resource: string, namespace: string | null): string {
  const [name, group] = resource.split(/\.(.*)/s);
  const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return `Error from server (Forbidden): ${name} is forbidden: User "aksfs-scanner" cannot ${verb} resource "${name}" in API group "${group ?? ''}" ${where}`;
}

export function doctorLogs(cluster: ClusterSpec, env: DoctorEnv): string {
  const ns = env.namespace;
  const denied = (verb: string, resource: string): boolean => cluster.rbacDenied.includes(`${verb} ${resource}`);
  let out = '[aksfs-doctor] checking\n';
  const line = (id: Parameters<typeof formatCheckLine>[0]['id'], status: 'pass' | 'fail' | 'skip', detail: string): void => {
    out += formatCheckLine({ id, status, detail });
  };
  line('command-pod', 'pass', `uid 1000 (no name); writable: /tmp /command-files; tools: ${FIRST_TOOLS}`);

  const missing = SCAN_PERMISSIONS.filter((p) => denied(p.verb, p.resource));
  if (missing.length === 0) line('rbac', 'pass', `all ${SCAN_PERMISSIONS.length} permissions a scan needs are granted in namespace ${ns} and for nodes`);
  else line('rbac', 'fail', `not granted: ${missing.map((p) => `${p.verb} ${p.resource} (no); `).join('')}`);

  const nsOk = !denied('list', 'jobs.batch');
  if (nsOk) line('namespace', 'pass', `namespace ${ns} exists (0 Job(s) of earlier scans)`);
  else line('namespace', 'fail', `cannot list Jobs in namespace ${ns}: ${rbacRefusal('list', 'jobs.batch', ns)}`);

  const ready = cluster.pools
    .filter((p) => p.osType === 'Linux')
    .flatMap((p) => poolNodes(cluster, p).map((n) => ({ n, p })))
    .filter(({ n }) => n.ready)
    .sort((a, b) => (a.n.name < b.n.name ? -1 : 1));
  let target: (typeof ready)[number] | undefined;
  if (denied('list', 'nodes')) line('nodes', 'fail', `cannot list nodes: ${rbacRefusal('list', 'nodes', null)}`);
  else if (ready.length === 0) line('nodes', 'fail', 'no Ready Linux node (kube-bench runs on Linux nodes only)');
  else {
    const groups = [...new Set(ready.map(({ p }) => p.name))].sort();
    const described = groups.map((g) => {
      const pool = ready.find(({ p }) => p.name === g)?.p;
      return `${g} (${pool?.karpenter ? 'Karpenter' : 'agent pool'}, ${ready.filter(({ p }) => p.name === g).length})`;
    });
    target = ready.find(({ p }) => p.name === groups[0]);
    line(
      'nodes',
      'pass',
      `${ready.length} Ready Linux node(s) in groups: ${described.join(', ')}; checking on ${target?.n.name ?? '?'} (group ${groups[0] ?? '?'})`,
    );
  }

  const rest = (why: string): string => {
    for (const id of ['admission', 'image', 'capacity'] as const) line(id, 'skip', why);
    return out;
  };
  if (!target) return rest('no Ready Linux node to check on');
  if (!nsOk) return rest(`the scan namespace ${ns} is not usable (see namespace)`);
  if (denied('create', 'jobs.batch')) {
    line('admission', 'fail', `the server-side dry run of the scan's Job failed: ${rbacRefusal('create', 'jobs.batch', ns)}`);
    return rest("the scan's Job cannot be created (see admission)");
  }
  const denial = admissionDenial(cluster.admission, ns);
  if (denial) {
    line('admission', 'fail', `the scan's pod was denied (its Job passed a server-side dry run): ${denial}`);
    return rest('the check pod was not created (see admission)');
  }
  const admitted = `the scan's Job (server-side dry run) and its pod were admitted in namespace ${ns}`;
  const room = `${target.n.name} had room for the scan Job's requests (3860m CPU, 12536160Ki memory allocatable)`;
  const status = target.p.nodeStatus?.status;
  line('admission', 'pass', admitted);
  if (status === 'image-pull') {
    const why = target.p.nodeStatus?.reason ?? `ImagePullBackOff: Back-off pulling image "${env.image}"`;
    line('image', 'fail', `${target.n.name} cannot pull ${env.image}: ${why}`);
    line('capacity', 'pass', room);
  } else if (status === 'unschedulable') {
    line('image', 'skip', 'the check pod was not scheduled (see capacity)');
    line(
      'capacity',
      'fail',
      `no room on ${target.n.name} for the scan Job's requests: Unschedulable: ${target.p.nodeStatus?.reason ?? DEFAULT_NODE_REASONS['unschedulable']}`,
    );
  } else {
    line('image', 'pass', `the check pod (the scan's spec, running kube-bench version) on ${target.n.name} pulled ${env.image} and exited`);
    line('capacity', 'pass', room);
  }
  return out;
}
