/**
 * Scan-to-scan diff of one cluster: which FAILs are new, which went away, which stay. The alert
 * posts only the new ones, so this decides what an operator is woken up for.
 *
 * Checks are compared per (pool, knowledge topic): kube-bench renumbers checks between benchmarks
 * (aks-1.7 → aks-1.8) while the topic stays, and an upgrade must not read as "fixed + new". A check
 * the knowledge base does not know falls back to "benchmark:id". When the two scans keyed one check
 * differently (the knowledge base learnt its topic in between), the check is still matched by
 * (pool, benchmark:id), so a knowledge-base release does not re-alert old FAILs.
 */
import type { CheckStatus } from '../model/result.js';
import type { StoredCheck, StoredClusterScan } from '../store/types.js';

export interface DiffItem {
  /** Stable across scans: `${pool}|${topic}` or `${pool}|${benchmark}:${id}`; a null pool is "-". */
  key: string;
  pool: string | null;
  topic: string | null;
  benchmark: string | null;
  id: string;
  title: string;
  disposition: string | null;
  /** Nodes that FAILed: the current scan's for new and still-failing items, the previous scan's for fixed ones. */
  failingNodes: string[];
  /** Status in the previous scan; null when absent (or no previous scan). */
  before: CheckStatus | null;
  /** Status in the current scan; null when the check (or its pool) is no longer reported. */
  after: CheckStatus | null;
}

export interface ScanDiff {
  newFailures: DiffItem[];
  /** FAIL before, anything else now; `after: null` means no longer reported (e.g. the pool is gone). */
  fixed: DiffItem[];
  stillFailing: DiffItem[];
  /** No usable previous scan: every FAIL is in newFailures, and an alert should say "first scan". */
  firstScan: boolean;
}

/** The checks of one scan that share a key (normally one; several when a benchmark repeats a topic). */
interface Group {
  key: string;
  altKeys: string[];
  /** Worst status of the group; FAIL when any check FAILs. */
  status: CheckStatus;
  /** The check shown for the group: the first failing one, else the first. */
  shown: DiffCheck;
  failingNodes: string[];
}

const RANK: Record<CheckStatus, number> = { FAIL: 0, WARN: 1, PASS: 2, INFO: 3 };

function poolPart(pool: string | null): string {
  return pool ?? '-';
}

function idKey(c: Pick<StoredCheck, 'pool' | 'benchmark' | 'id'>): string {
  return `${poolPart(c.pool)}|${c.benchmark ?? '-'}:${c.id.trim()}`;
}

/** The stable key of a check: (pool, topic), or (pool, benchmark:id) when the topic is unknown. */
export function checkKey(c: Pick<StoredCheck, 'pool' | 'topic' | 'benchmark' | 'id'>): string {
  return c.topic ? `${poolPart(c.pool)}|${c.topic}` : idKey(c);
}

function groupChecks(checks: readonly DiffCheck[]): Map<string, Group> {
  const out = new Map<string, Group>();
  for (const c of checks) {
    const key = checkKey(c);
    const g = out.get(key);
    if (!g) {
      out.set(key, { key, altKeys: [idKey(c)], status: c.status, shown: c, failingNodes: c.status === 'FAIL' ? [...c.failingNodes] : [] });
      continue;
    }
    g.altKeys.push(idKey(c));
    if (RANK[c.status] < RANK[g.status]) {
      g.status = c.status;
      g.shown = c;
    }
    if (c.status === 'FAIL') g.failingNodes.push(...c.failingNodes);
  }
  for (const g of out.values()) g.failingNodes = [...new Set(g.failingNodes)].sort();
  return out;
}

function item(g: Group, before: CheckStatus | null, after: CheckStatus | null, nodesFrom: Group): DiffItem {
  const c = g.shown;
  return {
    key: g.key,
    pool: c.pool,
    topic: c.topic,
    benchmark: c.benchmark,
    id: c.id,
    title: c.title,
    disposition: c.disposition,
    failingNodes: nodesFrom.failingNodes,
    before,
    after,
  };
}

function byKey(a: DiffItem, b: DiffItem): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Compares a cluster's scan with its previous one. `previous` should be the latest earlier scan
 * that scanned; null, or one whose outcome is not "scanned", means there is no baseline (firstScan).
 * A current scan that did not scan reports nothing: an unreachable cluster has fixed nothing.
 */
export function diffScans(previous: StoredClusterScan | null, current: StoredClusterScan): ScanDiff {
  const baseline = previous !== null && previous.outcome.kind === 'scanned' ? previous : null;
  if (current.outcome.kind !== 'scanned') return { newFailures: [], fixed: [], stillFailing: [], firstScan: baseline === null };
  const { newFailures, fixed, stillFailing, firstScan } = diffChecks(baseline?.checks ?? null, current.checks);
  return { newFailures, fixed, stillFailing, firstScan };
}

/** What the diff reads of a check: a stored check, or one rolled up from a kube-bench output. */
export type DiffCheck = Pick<StoredCheck, 'pool' | 'id' | 'benchmark' | 'title' | 'status' | 'failingNodes' | 'topic' | 'disposition'>;

export interface ChecksDiff extends ScanDiff {
  /** WARN now, and neither WARN nor FAIL before (a FAIL turned WARN is in fixed). */
  newWarnings: DiffItem[];
  /** Current checks, of any status, with no counterpart in the previous checks. */
  added: DiffItem[];
  /** Previous checks, of any status, with no counterpart in the current checks. */
  removed: DiffItem[];
}

/**
 * The pure core of diffScans, over two lists of checks: null `previous` means no baseline
 * (firstScan). Also reports new WARNs and the checks present on one side only, which the CLI's
 * diff and the digest need to tell a benchmark's added or removed coverage from a real change.
 */
export function diffChecks(previous: readonly DiffCheck[] | null, current: readonly DiffCheck[]): ChecksDiff {
  const cur = groupChecks(current);
  const prev = groupChecks(previous ?? []);
  const prevByAlt = new Map<string, Group>();
  for (const g of prev.values()) for (const k of g.altKeys) if (!prevByAlt.has(k)) prevByAlt.set(k, g);

  // Pair each current group with at most one previous group: by key first, then by benchmark:id.
  const pairs = new Map<Group, Group | null>();
  const taken = new Set<Group>();
  for (const g of cur.values()) {
    const p = prev.get(g.key);
    if (p) {
      pairs.set(g, p);
      taken.add(p);
    }
  }
  for (const g of cur.values()) {
    if (pairs.has(g)) continue;
    const p = g.altKeys.map((k) => prevByAlt.get(k)).find((x): x is Group => x !== undefined && !taken.has(x));
    pairs.set(g, p ?? null);
    if (p) taken.add(p);
  }

  const newFailures: DiffItem[] = [];
  const fixed: DiffItem[] = [];
  const stillFailing: DiffItem[] = [];
  for (const [g, p] of pairs) {
    const before = p?.status ?? null;
    if (g.status === 'FAIL') (before === 'FAIL' ? stillFailing : newFailures).push(item(g, before, g.status, g));
    else if (p && before === 'FAIL') fixed.push(item(p, before, g.status, p));
  }
  for (const p of prev.values()) {
    if (!taken.has(p) && p.status === 'FAIL') fixed.push(item(p, 'FAIL', null, p));
  }
  const newWarnings: DiffItem[] = [];
  const added: DiffItem[] = [];
  for (const [g, p] of pairs) {
    if (g.status === 'WARN' && p?.status !== 'WARN' && p?.status !== 'FAIL') newWarnings.push(item(g, p?.status ?? null, g.status, g));
    if (!p) added.push(item(g, null, g.status, g));
  }
  const removed = [...prev.values()].filter((p) => !taken.has(p)).map((p) => item(p, p.status, null, p));
  return {
    newFailures: newFailures.sort(byKey),
    fixed: fixed.sort(byKey),
    stillFailing: stillFailing.sort(byKey),
    firstScan: previous === null,
    newWarnings: newWarnings.sort(byKey),
    added: added.sort(byKey),
    removed: removed.sort(byKey),
  };
}
