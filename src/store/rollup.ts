/**
 * Pure summaries of a scan, computed before anything is written: the per-pool rolled-up checks,
 * the triage counts and the compact failing lists kept on the fleet entity.
 */
import { createHash } from 'node:crypto';
import type { ClusterScan, ScannedNode } from '../model/cluster.js';
import { errorMessage } from '../model/errors.js';
import { addTotals, emptyTotals, type CheckResult, type CheckStatus, type Totals } from '../model/result.js';
import { UNKNOWN_DISPOSITION, type Classification, type Classifier, type StoredCheck, type StoredNode } from './types.js';
import { compareIds } from '../model/result.js';

const RANK: Record<CheckStatus, number> = { FAIL: 3, WARN: 2, PASS: 1, INFO: 0 };

const YOURS = new Set(['action', 'environment']);
const isYours = (c: Classification | null | undefined): boolean => c !== null && c !== undefined && YOURS.has(c.disposition);

/** A string property holds 64 KiB of UTF-16, i.e. 32,768 characters; keep well below. */
export const MAX_LIST_CHARS = 30_000;

export interface ScanRollup {
  totals: Totals;
  nodes: StoredNode[];
  pools: string[];
  checks: StoredCheck[];
  triage: Record<string, number>;
  failingTopics: string[];
  failingChecks: string[];
}

export function checkRef(c: Pick<CheckResult, 'benchmark' | 'id'>): string {
  return `${c.benchmark ?? '-'}:${c.id}`;
}

function bump(t: Totals, s: CheckStatus): void {
  if (s === 'PASS') t.pass++;
  else if (s === 'FAIL') t.fail++;
  else if (s === 'WARN') t.warn++;
  else t.info++;
}

/** Rolls a scan up. The classifier is asked once per distinct check (benchmark, id and title). */
export function rollup(scan: ClusterScan, classify: Classifier): ScanRollup {
  const nodes: ScannedNode[] = scan.outcome.kind === 'scanned' ? scan.outcome.nodes : [];
  const cache = new Map<string, Classification | null>();
  const classOf = (c: CheckResult, pool: string | null): Classification | null => {
    const k = `${pool ?? ''}\u0000${checkRef(c)}\u0000${c.title}`;
    if (!cache.has(k)) {
      try {
        cache.set(k, classify(c, pool));
      } catch (e) {
        throw new Error(`classifier failed on check ${checkRef(c)}: ${errorMessage(e)}`, { cause: e });
      }
    }
    return cache.get(k) ?? null;
  };

  let totals = emptyTotals();
  const byKey = new Map<string, StoredCheck>();
  const failing = new Map<string, Classification | null>();
  for (const n of nodes) {
    totals = addTotals(totals, n.totals);
    for (const c of n.checks) {
      const k = `${n.pool ?? ''}\u0000${checkRef(c)}`;
      let s = byKey.get(k);
      if (!s) {
        const cl = classOf(c, n.pool);
        s = {
          pool: n.pool,
          id: c.id,
          benchmark: c.benchmark,
          section: c.section,
          title: c.title,
          status: c.status,
          counts: emptyTotals(),
          failingNodes: [],
          topic: cl?.topic ?? null,
          topicTitle: cl?.title ?? null,
          disposition: cl?.disposition ?? null,
        };
        byKey.set(k, s);
      }
      bump(s.counts, c.status);
      if (RANK[c.status] > RANK[s.status]) s.status = c.status;
      if (c.status === 'FAIL') {
        if (!s.failingNodes.includes(n.name)) s.failingNodes.push(n.name);
        // Pools on different versions may judge a check differently: the cluster counts it as
        // yours when any pool's verdict is.
        const cl = classOf(c, n.pool);
        const had = failing.get(checkRef(c));
        if (had === undefined || (!isYours(had) && isYours(cl))) failing.set(checkRef(c), cl);
      }
    }
  }

  const triage: Record<string, number> = {};
  for (const cl of failing.values()) {
    const d = cl?.disposition || UNKNOWN_DISPOSITION;
    triage[d] = (triage[d] ?? 0) + 1;
  }
  const checks = [...byKey.values()].sort(
    (a, b) => (a.pool ?? '').localeCompare(b.pool ?? '') || compareIds(a.id, b.id) || (a.benchmark ?? '').localeCompare(b.benchmark ?? ''),
  );
  const storedNodes: StoredNode[] = nodes.map((n) => ({ name: n.name, pool: n.pool, benchmark: n.benchmark, totals: n.totals, warnings: n.warnings.length }));
  const pools = [...new Set(nodes.map((n) => n.pool).filter((p): p is string => p !== null))].sort();
  return {
    totals,
    nodes: storedNodes,
    pools,
    checks,
    triage,
    failingTopics: [...topicContributions(checks).keys()],
    failingChecks: [...failing.keys()].sort(compareIds),
  };
}

/** What one cluster's latest results put in one topic's aggregate partition. */
export interface TopicContribution {
  /** "yours" (action, environment) when any failing check of the topic is, as in the triage counts. */
  disposition: string;
  /** Pools where a check of the topic fails, sorted ("" for a node without a known pool). */
  pools: string[];
  /** The failing checks of the topic, as "benchmark:id", sorted. */
  checks: string[];
}

/**
 * Per topic, what the cluster contributes to the topic's aggregate. A function of the stored
 * per-pool checks alone, so that a repair can rebuild it from the scan header without the scan.
 */
export function topicContributions(checks: readonly StoredCheck[]): Map<string, TopicContribution> {
  const out = new Map<string, { disposition: string | null; pools: Set<string>; checks: Set<string> }>();
  for (const c of checks) {
    if (c.status !== 'FAIL' || !c.topic) continue;
    let t = out.get(c.topic);
    if (!t) out.set(c.topic, (t = { disposition: null, pools: new Set(), checks: new Set() }));
    const d = c.disposition || UNKNOWN_DISPOSITION;
    if (t.disposition === null || (!YOURS.has(t.disposition) && YOURS.has(d))) t.disposition = d;
    t.pools.add(c.pool ?? '');
    t.checks.add(checkRef(c));
  }
  const sorted = [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(
    sorted.map(([topic, t]) => [
      topic,
      { disposition: t.disposition ?? UNKNOWN_DISPOSITION, pools: [...t.pools].sort(), checks: [...t.checks].sort(compareIds) },
    ]),
  );
}

/** The fingerprint of each topic's contribution, as the fleet entity keeps them (`rTopicSigs`). */
export function topicSigs(byTopic: ReadonlyMap<string, TopicContribution>): Record<string, string> {
  return Object.fromEntries([...byTopic].map(([t, c]) => [t, contributionSig(c)]));
}

/** A short fingerprint of a contribution: the fleet entity keeps one per topic to see which rows a new scan changes. */
export function contributionSig(c: TopicContribution): string {
  return createHash('sha256')
    .update(JSON.stringify([c.disposition, c.pools, c.checks]))
    .digest('base64url')
    .slice(0, 12);
}

/** Keeps as many items as fit in `maxChars` of JSON. */
export function fitList(items: readonly string[], maxChars = MAX_LIST_CHARS): { json: string; truncated: boolean } {
  const kept: string[] = [];
  let size = 2;
  for (const it of items) {
    const add = JSON.stringify(it).length + 1;
    if (size + add > maxChars) return { json: JSON.stringify(kept), truncated: true };
    kept.push(it);
    size += add;
  }
  return { json: JSON.stringify(kept), truncated: false };
}
