/** StoredClusterScan values built by hand: the diff and the card read only plain data. */
import type { CheckStatus } from '../../src/model/result.js';
import type { StoredCheck, StoredClusterScan } from '../../src/store/types.js';

export const CLUSTER = {
  id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-web/providers/Microsoft.ContainerService/managedClusters/aks-web-prod',
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-web',
  name: 'aks-web-prod',
  location: 'westeurope',
  kubernetesVersion: '1.31.2',
};

export function check(over: Partial<StoredCheck> & Pick<StoredCheck, 'id'>): StoredCheck {
  const status: CheckStatus = over.status ?? 'FAIL';
  return {
    pool: 'nodepool1',
    benchmark: 'aks-1.8',
    section: over.id.split('.').slice(0, 2).join('.'),
    title: `Check ${over.id}`,
    status,
    counts: { pass: status === 'PASS' ? 3 : 0, fail: status === 'FAIL' ? 3 : 0, warn: status === 'WARN' ? 3 : 0, info: status === 'INFO' ? 3 : 0 },
    failingNodes: status === 'FAIL' ? ['aks-nodepool1-0', 'aks-nodepool1-1', 'aks-nodepool1-2'] : [],
    topic: null,
    topicTitle: null,
    disposition: null,
    ...over,
  };
}

export function scan(checks: StoredCheck[], over: Partial<StoredClusterScan> = {}): StoredClusterScan {
  const fail = checks.filter((c) => c.status === 'FAIL').length;
  return {
    clusterId: CLUSTER.id,
    scanId: 'scan-2',
    runId: 'run-2',
    benchmark: checks[0]?.benchmark ?? null,
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: '2026-11-26T10:05:00.000Z',
    outcome: { kind: 'scanned' },
    totals: { pass: checks.length - fail, fail, warn: 0, info: 0 },
    nodes: 3,
    nodeFailures: 0,
    triage: {},
    cluster: CLUSTER,
    nodeList: [],
    nodeFailureList: [],
    checks,
    ...over,
  };
}
