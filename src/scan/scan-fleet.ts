/** Scans many clusters with bounded concurrency, globally and per subscription. */
import pLimit from 'p-limit';
import type { ClusterRef, ClusterScan } from '../model/cluster.js';
import type { ClusterScanDeps, ClusterScanOptions } from './scan-cluster.js';
import { scanCluster } from './scan-cluster.js';
import { RunningDurations } from './steps/durations.js';

export interface FleetScanOptions extends ClusterScanOptions {
  /** Clusters scanned at once across the fleet. */
  concurrency: number;
  /** Clusters scanned at once in one subscription: ARM's write bucket is per subscription. */
  perSubscription: number;
  onClusterDone?: (scan: ClusterScan, done: number, total: number) => void;
}

/** Learns command durations across the fleet's scans (and, when the caller keeps it, across runs). */
export function fleetDurations(deps: ClusterScanDeps): ClusterScanDeps {
  return deps.durations ? deps : { ...deps, durations: new RunningDurations() };
}

export async function scanFleet(
  clusters: readonly ClusterRef[],
  scanSeed: string,
  deps: ClusterScanDeps,
  opts: FleetScanOptions,
  signal?: AbortSignal,
): Promise<ClusterScan[]> {
  const global = pLimit(Math.max(1, opts.concurrency));
  const bySub = new Map<string, ReturnType<typeof pLimit>>();
  const limitFor = (sub: string) => {
    let l = bySub.get(sub.toLowerCase());
    if (!l) bySub.set(sub.toLowerCase(), (l = pLimit(Math.max(1, opts.perSubscription))));
    return l;
  };
  const shared = fleetDurations(deps);
  let done = 0;
  // The per-subscription slot is taken first so one busy subscription does not hold global slots idle.
  return Promise.all(
    clusters.map((c) =>
      limitFor(c.subscriptionId)(() =>
        global(async () => {
          const r = await scanCluster(c, scanSeed, shared, opts, signal);
          done++;
          opts.onClusterDone?.(r, done, clusters.length);
          return r;
        }),
      ),
    ),
  );
}
