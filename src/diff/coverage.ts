/**
 * A diff that tells a change on the node from a change of benchmark. When a cluster crosses a
 * benchmark boundary (aks-1.7 → aks-1.8 on 1.31 → 1.32), checks with the same knowledge-base topic
 * are matched by diffChecks; what is left over exists in one benchmark only. Such a check is
 * coverage added or removed, not a new FAIL or a fix: nothing changed on the node.
 */
import type { DiffCheck, DiffItem } from './diff.js';
import { diffChecks } from './diff.js';

export interface CheckChanges {
  /** FAIL now, not FAIL before, for a check both sides' benchmarks have. */
  newFailures: DiffItem[];
  /** FAIL before, not FAIL now (or no longer reported while its benchmark still is). */
  fixed: DiffItem[];
  stillFailing: DiffItem[];
  newWarnings: DiffItem[];
  /** Checks of a benchmark only the current side ran, any status. */
  coverageAdded: DiffItem[];
  /** Checks of a benchmark only the previous side ran, any status. */
  coverageRemoved: DiffItem[];
  /** No previous checks: every FAIL is in newFailures, and a report should call it a baseline. */
  firstScan: boolean;
}

function benchmarksOf(checks: readonly DiffCheck[]): Set<string | null> {
  return new Set(checks.map((c) => c.benchmark));
}

/** Compares two lists of checks (null `previous`: no baseline), setting benchmark-only checks apart. */
export function compareChecks(previous: readonly DiffCheck[] | null, current: readonly DiffCheck[]): CheckChanges {
  const d = diffChecks(previous, current);
  const before = benchmarksOf(previous ?? []);
  const after = benchmarksOf(current);
  // With nothing before (a first scan, or a previous scan that reported no check) there is no
  // benchmark to compare with, and nothing after means nothing was covered: no coverage change.
  const comparable = before.size > 0 && after.size > 0;
  const onlyNow = comparable ? d.added.filter((it) => !before.has(it.benchmark)) : [];
  const onlyThen = comparable ? d.removed.filter((it) => !after.has(it.benchmark)) : [];
  const addedKeys = new Set(onlyNow.map((it) => it.key));
  const removedKeys = new Set(onlyThen.map((it) => it.key));
  return {
    newFailures: d.newFailures.filter((it) => !addedKeys.has(it.key)),
    fixed: d.fixed.filter((it) => !(it.after === null && removedKeys.has(it.key))),
    stillFailing: d.stillFailing,
    newWarnings: d.newWarnings.filter((it) => !addedKeys.has(it.key)),
    coverageAdded: onlyNow,
    coverageRemoved: onlyThen,
    firstScan: d.firstScan,
  };
}
