/**
 * Outputs that describe a node nobody should still be running: pre-AKS benchmark numbering (kube-bench's
 * cfg/1.x editions with their 2.x node sections, before the aks-* benchmarks existed), or a Kubernetes
 * version AKS no longer supports. Their FAILs are judged for the version they were taken on, and the one
 * useful action is to upgrade and scan again with the current benchmark.
 */
import type { CheckRef } from './resolve.js';
import { knowledgeBase } from './load.js';
import { resolveIn } from './resolve.js';
import { normaliseBenchmark } from './normalise.js';
import { compareKubeVersions, minorOf, parseKubeVersion } from './version.js';

export interface LegacyFinding {
  /** Check ids in a numbering kube-bench no longer ships (the seed's 2.1.x / 2.2.x). */
  legacyIds: string[];
  /** Set when the version is older than the oldest AKS supports. */
  unsupportedVersion: { version: string; oldestSupported: string; asOf: string } | null;
}

/** kube-bench's pre-AKS, pre-cis editions are named by the Kubernetes minor alone ("1.8", "1.11"). */
function isLegacyBenchmark(b: string | null): boolean {
  return b !== null && /^\d+\.\d+$/.test(b);
}

export function legacyFinding(checks: readonly CheckRef[], kubernetesVersion: string | null): LegacyFinding | null {
  const kb = knowledgeBase();
  const legacyIds: string[] = [];
  for (const c of checks) {
    const b = normaliseBenchmark(c.benchmark);
    if (b !== null && !isLegacyBenchmark(b)) continue;
    const entry = resolveIn(kb, c);
    const id = c.id.trim();
    if (isLegacyBenchmark(b) || entry?.legacy.some((l) => l.id === id)) legacyIds.push(id);
  }
  const oldest = kb.meta.aksSupport.oldest;
  const unsupported =
    kubernetesVersion && parseKubeVersion(kubernetesVersion) && compareKubeVersions(minorOf(kubernetesVersion) ?? kubernetesVersion, oldest) < 0
      ? { version: kubernetesVersion, oldestSupported: oldest, asOf: kb.meta.aksSupport.asOf }
      : null;
  // One stray legacy-looking id in a current output is not a legacy output: most checks must be.
  const legacy = legacyIds.length > 0 && legacyIds.length * 2 >= checks.length;
  if (!legacy && !unsupported) return null;
  return { legacyIds: legacy ? legacyIds : [], unsupportedVersion: unsupported };
}
