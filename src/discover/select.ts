/**
 * Which clusters a run scans: the one rule shared by the timer, POST /api/scans and `scan`.
 *
 * - Without explicit ids, every cluster in the configured subscriptions (minus the excluded ones)
 *   that is in scope: its resource group matches the pattern and it carries every include tag.
 * - With explicit ids, exactly those clusters, whatever the scope settings say: only their own
 *   subscriptions are listed, and the subscription lists, resource-group pattern and include tags
 *   do not apply. Ids not found there are returned as `missing`, never dropped silently.
 *
 * Either way, opting out is decided when the cluster is scanned (filters.ts skipDecision): a cluster
 * tagged `aks-fleet-scanner: skip`, or carrying a SCAN_EXCLUDE_TAGS tag, ends as skipped/opted-out,
 * so the run records it.
 */
import type { ArmClients } from '../azure/arm.js';
import type { ClusterRef } from '../model/cluster.js';
import { parseClusterId } from './cluster-ref.js';
import type { Discovery, DiscoveryProblem, SubscriptionChoice } from './discover.js';
import { discoverFleet } from './discover.js';
import type { ClusterFilter } from './filters.js';
import { inScope } from './filters.js';
import { discoverViaResourceGraph } from './resource-graph.js';

export interface ClusterSelectionOptions {
  /** One list call per subscription, or one tenant-wide Resource Graph query. */
  discovery?: 'arm' | 'resource-graph';
  subscriptions: string[];
  excludeSubscriptions: string[];
  filter: ClusterFilter;
  /** Scan exactly these cluster resource ids (validated by the caller); null or empty: the whole scope. */
  ids?: readonly string[] | null;
}

export interface ClusterSelection {
  clusters: ClusterRef[];
  /** Explicit ids that no listed subscription holds (deleted, or not visible to this identity), as given. */
  missing: string[];
  subscriptions: string[];
  /** Subscriptions whose clusters could not be listed. */
  problems: DiscoveryProblem[];
}

export async function selectClusters(arm: ArmClients, opts: ClusterSelectionOptions, signal?: AbortSignal): Promise<ClusterSelection> {
  const discover = (choice: SubscriptionChoice): Promise<Discovery> =>
    opts.discovery === 'resource-graph' ? discoverViaResourceGraph(arm, choice, signal) : discoverFleet(arm, choice, signal);
  if (!opts.ids?.length) {
    const fleet = await discover({ include: opts.subscriptions, exclude: opts.excludeSubscriptions });
    return { clusters: fleet.clusters.filter((c) => inScope(c, opts.filter)), missing: [], subscriptions: fleet.subscriptions, problems: fleet.problems };
  }
  // ARM ids compare case-insensitively: one entry per cluster, kept as first spelled.
  const wanted = new Map<string, string>();
  for (const id of opts.ids) if (!wanted.has(id.toLowerCase())) wanted.set(id.toLowerCase(), id);
  const subscriptions = [...new Set([...wanted.values()].map((id) => parseClusterId(id).subscriptionId.toLowerCase()))];
  const fleet = await discover({ include: subscriptions });
  const clusters = fleet.clusters.filter((c) => wanted.has(c.id.toLowerCase()));
  const found = new Set(clusters.map((c) => c.id.toLowerCase()));
  const missing = [...wanted].filter(([key]) => !found.has(key)).map(([, id]) => id);
  return { clusters, missing, subscriptions: fleet.subscriptions, problems: fleet.problems };
}
