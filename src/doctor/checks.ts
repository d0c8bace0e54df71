/** Each doctor check's title and the fix an operator applies when it fails. */
import type { DoctorCheck, DoctorCheckId, DoctorStatus } from '../model/doctor.js';
import { IMAGE_PULL_FIX } from '../scan/failure.js';

export const CHECK_TITLES: Readonly<Record<DoctorCheckId, string>> = {
  'arm-read': 'ARM: read the cluster',
  'cluster-state': 'cluster accepts run-command',
  'arm-run-command': 'ARM: run a command',
  'arm-command-result': "ARM: read the command's result",
  'command-pod': 'run-command pod: user, writable directory, tools',
  rbac: 'Kubernetes permissions',
  namespace: 'scan namespace',
  nodes: 'Linux nodes and node groups',
  admission: 'admission policies',
  image: 'kube-bench image pull',
  capacity: 'room on a Linux node',
};

const ROLE = "the scanner's custom role (infra/README.md, 'Azure permissions')";

/** The fix for a failed check; `ns` is the scan namespace. */
export function fixFor(id: DoctorCheckId, ns: string, detail: string): string {
  switch (id) {
    case 'arm-read':
      return /\b404\b|not ?found/i.test(detail)
        ? 'check the resource id; the identity sees only clusters in subscriptions it can read'
        : `grant the identity Microsoft.ContainerService/managedClusters/read on the cluster (${ROLE})`;
    case 'cluster-state':
      return 'start the cluster (az aks start), wait for provisioningState Succeeded, or re-enable run-command (az aks update --enable-run-command): a scan skips it until then';
    case 'arm-run-command':
      if (/MissingAADClusterToken|cluster token/i.test(detail))
        return 'the credential must issue a token for the AKS server application (6dae42f8-4368-4678-94ff-3960e28e3630); managed identities and az login do';
      if (/did not start|not-started|KubernetesPerformance/i.test(detail))
        return 'the run-command pod (namespace aks-command) did not start: check that the cluster has room and its API server is healthy, then run doctor again';
      return `grant the identity Microsoft.ContainerService/managedClusters/runCommand/action on the cluster (${ROLE})`;
    case 'arm-command-result':
      if (/did not start|not-started|not found/i.test(detail))
        return 'the run-command pod never started (a 404 on its result, retried once): check the cluster has room for a pod in namespace aks-command, then run doctor again';
      return `grant the identity Microsoft.ContainerService/managedClusters/commandResults/read (${ROLE}; "Azure Kubernetes Service Cluster Admin Role" has runCommand but not this)`;
    case 'command-pod':
      return "the run-command pod is AKS's own (mcr.microsoft.com/aks/command/runtime): a missing tool or writable directory there is for Microsoft support; quote this detail";
    case 'rbac':
      return 'apply infra/kubernetes/aksfs-scanner-rbac.yaml with SCANNER_PRINCIPAL_ID (Entra ID without Azure RBAC), or assign the Azure role of infra/README.md (Azure RBAC for Kubernetes)';
    case 'namespace':
      return `create namespace ${ns}: apply the first document of infra/kubernetes/aksfs-scanner-rbac.yaml (renamed to ${ns} if SCAN_NAMESPACE says so)`;
    case 'nodes':
      return 'kube-bench runs on Linux nodes: add a Linux node pool, or let the autoscaler or node auto-provisioning bring a node up';
    case 'admission':
      return `exempt namespace ${ns} from the policy that denied it: Deployment Safeguards' excluded namespaces, Azure Policy's excludedNamespaces, or a Gatekeeper exemption (infra/README.md, "Hardened clusters and AKS Automatic")`;
    case 'image':
      return IMAGE_PULL_FIX;
    case 'capacity':
      return 'free 50m CPU and 64Mi memory on the node, or scale its pool: a scan runs one Job per node group (or per node with --nodes all)';
  }
}

export function verdict(id: DoctorCheckId, status: DoctorStatus, detail: string, ns: string): DoctorCheck {
  const check: DoctorCheck = { id, title: CHECK_TITLES[id], status, detail };
  if (status === 'fail') check.fix = fixFor(id, ns, detail);
  return check;
}
