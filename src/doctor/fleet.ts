/** `doctor` over the clusters named by id and every cluster of the named subscriptions, a few at a time. */
import pLimit from 'p-limit';
import { discoverFleet } from '../discover/discover.js';
import { parseClusterId } from '../discover/cluster-ref.js';
import type { DoctorReport } from '../model/doctor.js';
import type { DoctorDeps, DoctorOptions, DoctorTarget } from './doctor.js';
import { doctorCluster } from './doctor.js';

export interface DoctorSelection {
  clusterIds: readonly string[];
  subscriptions: readonly string[];
  /** Clusters checked at once; each is one run-command. */
  concurrency?: number;
}

export async function doctorFleet(selection: DoctorSelection, deps: DoctorDeps, opts: DoctorOptions): Promise<DoctorReport> {
  const targets: DoctorTarget[] = selection.clusterIds.map((id) => parseClusterId(id));
  const problems: string[] = [];
  if (selection.subscriptions.length) {
    const found = await discoverFleet(deps.arm, { include: [...selection.subscriptions] });
    for (const p of found.problems) problems.push(`subscription ${p.subscriptionId}: clusters could not be listed: ${p.message}`);
    targets.push(...found.clusters);
  }
  // A cluster named twice (by id and through its subscription) is checked once.
  const seen = new Set<string>();
  const unique = targets.filter((t) => {
    const key = `${t.subscriptionId}/${t.resourceGroup}/${t.name}`.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const limit = pLimit(Math.max(1, selection.concurrency ?? 4));
  const clusters = await Promise.all(unique.map((t) => limit(() => doctorCluster(t, deps, opts))));
  return { version: 1, ok: problems.length === 0 && clusters.every((c) => c.ok), clusters, problems };
}
