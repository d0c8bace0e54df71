/**
 * Filters and staleness over the per-cluster summaries, in memory. Subscription, resource group and
 * benchmark are store queries (listClusterSummaries); what the fleet entity cannot be queried on
 * (the triage counts and the tags are JSON properties) is filtered here, after the one partition read.
 */
import type { ClusterResultsSummary, ClusterSummary } from '../store/types.js';

/**
 * A cluster is stale when it has not been scanned for more than this many schedule periods: its
 * latest results are older than that, or, never scanned, its first known attempt is. Attempts that
 * were skipped or failed do not count: a cluster failing every day is stale once its results age.
 */
export const STALE_PERIODS = 2;

export function staleAfterMs(schedulePeriodMs: number): number {
  return STALE_PERIODS * schedulePeriodMs;
}

/** What staleness reads of a cluster. */
type StaleRow = Pick<ClusterSummary, 'firstAttemptAt' | 'startedAt'> & { results: Pick<ClusterResultsSummary, 'finishedAt'> | null };

/** The time staleness counts from: the latest results' finish, or the first attempt's start when the cluster was never scanned. */
export function staleSince(s: StaleRow): string {
  return s.results ? s.results.finishedAt : s.firstAttemptAt || s.startedAt;
}

export function isStale(s: StaleRow, now: Date, schedulePeriodMs: number): boolean {
  const at = Date.parse(staleSince(s));
  // An unreadable time cannot prove the cluster fresh.
  if (Number.isNaN(at)) return true;
  return now.getTime() - at > staleAfterMs(schedulePeriodMs);
}

export interface FleetFilter {
  /** Keep clusters whose latest results fail at least one check of this disposition ("unknown" included). */
  disposition?: string;
  /** "key" keeps clusters carrying the tag, "key=value" those where it has that value (split at the first "="). */
  tag?: string;
  /** "1.31" keeps any 1.31.x, "1.31.2" only that version (the cluster's control plane, as ARM reports it). */
  kubernetesVersion?: string;
}

/** A minor ("1.31") matches its patches; a full version matches exactly. A leading "v" in stored versions is ignored. */
export function matchesKubernetesVersion(version: string, wanted: string): boolean {
  const v = version.trim().replace(/^v/i, '');
  return v === wanted || (wanted.split('.').length === 2 && v.startsWith(`${wanted}.`));
}

/** ARM tag names compare case-insensitively; values are compared as written. */
function tagMatcher(tag: string): (s: Pick<FilterRow, 'tags'>) => boolean {
  const eq = tag.indexOf('=');
  const key = (eq < 0 ? tag : tag.slice(0, eq)).toLowerCase();
  const value = eq < 0 ? null : tag.slice(eq + 1);
  return (s) => Object.entries(s.tags ?? {}).some(([k, v]) => k.toLowerCase() === key && (value === null || v === value));
}

/** What the filters read: a whole summary, or a fleet digest record (no tags: the caller reads whole summaries for a tag filter). */
export type FilterRow = Pick<ClusterSummary, 'kubernetesVersion'> & { tags?: Record<string, string>; results: Pick<ClusterResultsSummary, 'triage'> | null };

export function filterFleet<T extends FilterRow>(summaries: readonly T[], filter: FleetFilter): T[] {
  const d = filter.disposition;
  const tagged = filter.tag !== undefined ? tagMatcher(filter.tag) : null;
  const k8s = filter.kubernetesVersion;
  return summaries.filter(
    (s) =>
      (d === undefined || (s.results?.triage[d] ?? 0) > 0) &&
      (tagged === null || tagged(s)) &&
      (k8s === undefined || matchesKubernetesVersion(s.kubernetesVersion, k8s)),
  );
}

/** Stable listing order: subscription, resource group, name, compared case-insensitively as ARM does. */
export function compareClusters(
  a: Pick<ClusterSummary, 'subscriptionId' | 'resourceGroup' | 'name' | 'clusterId'>,
  b: Pick<ClusterSummary, 'subscriptionId' | 'resourceGroup' | 'name' | 'clusterId'>,
): number {
  const ka = `${a.subscriptionId}\u0000${a.resourceGroup}\u0000${a.name}\u0000${a.clusterId}`.toLowerCase();
  const kb = `${b.subscriptionId}\u0000${b.resourceGroup}\u0000${b.name}\u0000${b.clusterId}`.toLowerCase();
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
