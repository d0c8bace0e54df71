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

/** The classifier for scans with no cluster to take versions from (failure records, tests): versionless verdicts. */
export const classifyUnversioned: Classifier = (check) => classifyCheck(check);

/**
 * The version a cluster's checks are judged for when the pool is not known (nodes outside ARM's
 * agent pools, such as Karpenter's): the oldest Linux pool's, so a FAIL AKS fixed only in a later
 * version stays the customer's.
 */
export function nodeVersionOf(cluster: Pick<ClusterRef, 'kubernetesVersion' | 'pools'>): string | null {
  const versions = cluster.pools
    .filter((p) => p.osType === 'Linux')
    .map((p) => p.orchestratorVersion ?? cluster.kubernetesVersion)
    .filter((v) => parseKubeVersion(v) !== null);
  if (versions.length === 0) return parseKubeVersion(cluster.kubernetesVersion) ? cluster.kubernetesVersion : null;
  return versions.reduce((a, b) => (compareKubeVersions(b, a) < 0 ? b : a));
}

/** Judges each check at its node pool's orchestrator version, where it differs from the control plane's. */
export function classifierFor(cluster: Pick<ClusterRef, 'kubernetesVersion' | 'pools'>): Classifier {
  const fallback = nodeVersionOf(cluster);
  const byPool = new Map<string, string>();
  for (const p of cluster.pools) {
    const v = p.orchestratorVersion ?? cluster.kubernetesVersion;
    if (parseKubeVersion(v) !== null) byPool.set(p.name, v);
  }
  return (check, pool) => classifyCheck(check, { kubernetesVersion: (pool !== null ? byPool.get(pool) : undefined) ?? fallback });
}
