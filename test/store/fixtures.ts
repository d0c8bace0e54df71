/** Scans built in code, shaped like the parsers' output for an AKS node (aks-1.8 node checks). */
import type { ClusterRef, ClusterScan, ScannedNode } from '../../src/model/cluster.js';
import { countTotals, type CheckResult, type CheckStatus } from '../../src/model/result.js';
import type { Classifier } from '../../src/store/types.js';
import { makeCheck } from '../fixtures/checks.js';
import { cluster } from '../fixtures/clusters.js';

export function clusterRef(name: string, sub = '00000000-0000-0000-0000-000000000001', rg = 'rg-fleet'): ClusterRef {
  return cluster({
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    subscriptionId: sub,
    resourceGroup: rg,
    name,
    kubernetesVersion: '1.31.2',
    pools: [],
    aadManaged: true,
    azureRbac: true,
  });
}

/** Node checks of aks-1.8 section 3.2 (ids and titles as in third_party/kube-bench/cfg/aks-1.8/node.yaml). */
const KUBELET: [string, string][] = [
  ['3.2.1', 'Ensure that the --anonymous-auth argument is set to false'],
  ['3.2.2', 'Ensure that the --authorization-mode argument is not set to AlwaysAllow'],
  ['3.2.3', 'Ensure that the --client-ca-file argument is set as appropriate'],
  ['3.2.4', 'Ensure that the --read-only-port is secured'],
  ['3.2.5', 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0'],
  ['3.2.6', 'Ensure that the --make-iptables-util-chains argument is set to true'],
  ['3.2.7', 'Ensure that the --eventRecordQPS argument is set to 0 or a level which ensures appropriate event capture'],
  ['3.2.8', 'Ensure that the --rotate-certificates argument is not set to false'],
  ['3.2.9', 'Ensure that the RotateKubeletServerCertificate argument is set to true'],
];

export function check(id: string, title: string, status: CheckStatus, actual = ''): CheckResult {
  return makeCheck(id, title, status, { actual: actual || null, remediation: 'Edit the kubelet config' });
}

/** `failing` lists the check ids that FAIL on this node; the others PASS. */
export function node(name: string, pool: string, failing: string[] = ['3.2.4', '3.2.7', '3.2.9']): ScannedNode {
  const checks = KUBELET.map(([id, title]) => check(id, title, failing.includes(id) ? 'FAIL' : 'PASS', `--node=${name}`));
  return { name, pool, benchmark: 'aks-1.8', totals: countTotals(checks), checks, warnings: [] };
}

export function scanned(ref: ClusterRef, nodes: ScannedNode[], startedAt = '2026-11-20T10:00:00.000Z'): ClusterScan {
  const finishedAt = new Date(Date.parse(startedAt) + 90_000).toISOString();
  return { cluster: ref, benchmark: 'aks-1.8', outcome: { kind: 'scanned', nodes, nodeFailures: [] }, startedAt, finishedAt };
}

/** A cluster with three node pools of one node each: the request-budget case. */
export function threePools(ref: ClusterRef, startedAt?: string, failing?: string[]): ClusterScan {
  return scanned(
    ref,
    ['system', 'user1', 'user2'].map((p, i) => node(`aks-${p}-${10000 + i}-vmss000000`, p, failing)),
    startedAt,
  );
}

export function skipped(ref: ClusterRef, startedAt: string): ClusterScan {
  return { cluster: ref, benchmark: null, outcome: { kind: 'skipped', reason: 'stopped', detail: 'powerState is Stopped' }, startedAt, finishedAt: startedAt };
}

/** A small stand-in for the knowledge base: topics for a few checks, unknown for the rest. */
export const classify: Classifier = (c) => {
  const table: Record<string, [string, string]> = {
    '3.2.4': ['kubelet-read-only-port', 'action'],
    '3.2.7': ['kubelet-event-qps', 'check-quirk'],
    '3.2.9': ['kubelet-serving-cert-rotation', 'platform'],
    '3.2.1': ['kubelet-anonymous-auth', 'action'],
  };
  const hit = table[c.id];
  return hit ? { topic: hit[0], title: c.title, disposition: hit[1] } : null;
};
