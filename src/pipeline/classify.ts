/** The knowledge base as the store's classifier. */
import { compareKubeVersions, parseKubeVersion, triageCheck } from '../knowledge/index.js';
import type { TriageContext } from '../knowledge/index.js';
import type { ClusterRef } from '../model/cluster.js';
import type { CheckResult } from '../model/result.js';
import type { Classification, Classifier } from '../store/types.js';

export function classifyCheck(check: CheckResult, context: TriageContext = {}): Classification | null {
  const t = triageCheck(check, context);
  return t ? { topic: t.topic, title: t.title, disposition: t.disposition } : null;
}

/**
 * The version a cluster's checks are judged for: its node pools' orchestrator version, where it differs
 * from the control plane's. The store classifies a check once for all pools, so with pools on different
 * versions the oldest decides: a FAIL AKS fixed only in a later version stays the customer's.
 */
export function nodeVersionOf(cluster: Pick<ClusterRef, 'kubernetesVersion' | 'pools'>): string | null {
  const versions = cluster.pools
    .filter((p) => p.osType === 'Linux')
    .map((p) => p.orchestratorVersion ?? cluster.kubernetesVersion)
    .filter((v) => parseKubeVersion(v) !== null);
  if (versions.length === 0) return parseKubeVersion(cluster.kubernetesVersion) ? cluster.kubernetesVersion : null;
  return versions.reduce((a, b) => (compareKubeVersions(b, a) < 0 ? b : a));
}

export function classifierFor(cluster: Pick<ClusterRef, 'kubernetesVersion' | 'pools'>): Classifier {
  const kubernetesVersion = nodeVersionOf(cluster);
  return (check) => classifyCheck(check, { kubernetesVersion });
}
