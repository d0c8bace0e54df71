/**
 * The baseline of a diff: the cluster's latest earlier attempt that scanned. The latest attempt
 * may have been skipped or failed (cluster stopped, run command refused), and diffing against an
 * empty scan would re-announce every FAIL when the cluster comes back.
 */
import type { Store } from '../store/store.js';
import type { StoredClusterScan } from '../store/types.js';

/** Attempts read to find the baseline; retention keeps far fewer than this per cluster. */
const HISTORY_LIMIT = 1000;

function earlier(a: { startedAt: string; scanId: string }, b: { startedAt: string; scanId: string }): boolean {
  return a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.scanId < b.scanId);
}

/**
 * The newest scanned attempt of the cluster that started before `current` (and is not `current`
 * itself), or null. Works the same before or after `current` is saved, so a redelivered queue
 * message diffs against the same baseline as the first delivery.
 */
export async function previousScannedScan(
  store: Pick<Store, 'getClusterHistory' | 'getClusterScan'>,
  clusterId: string,
  current: { startedAt: string; scanId: string },
): Promise<StoredClusterScan | null> {
  const history = await store.getClusterHistory(clusterId, HISTORY_LIMIT);
  const base = history.find((h) => h.outcome.kind === 'scanned' && h.scanId !== current.scanId && earlier(h, current));
  return base ? store.getClusterScan(clusterId, base.scanId) : null;
}
