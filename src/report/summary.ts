/**
 * The fleet summary: one pass over the per-cluster summaries (the store's one-partition read), never
 * over per-check rows, so its cost grows with the number of clusters only. The API's /summary and
 * the CLI print this same object.
 */
import { emptyTriageCounts, triageKeyOf } from '../model/knowledge.js';
import type { ClusterResultsSummary, ClusterSummary } from '../store/types.js';
import { isStale, staleAfterMs, staleSince } from './fleet-filter.js';
import { knowledgeBaseTopics, type TopicKnowledge } from './fleet-knowledge.js';
import {
  NOT_YOURS,
  TRIAGE_KEYS,
  YOURS,
  type CheckCounts,
  type FleetSummary,
  type StaleCluster,
  type SubscriptionRow,
  type TopFailing,
  type TriageKey,
  type TriageSplit,
} from './fleet-schema.js';

export type { FleetSummary, TopFailing, SubscriptionRow, StaleCluster, TriageSplit, CheckCounts } from './fleet-schema.js';
export { FleetSummarySchema, TRIAGE_KEYS, YOURS, NOT_YOURS } from './fleet-schema.js';

export interface FleetSummaryOptions {
  now: Date;
  /** The scan schedule's period; clusters not scanned for two periods are stale. */
  schedulePeriodMs: number;
  /** Rows of topFailing; default 10. */
  top?: number;
  /** Only topics of this disposition in topFailing (the cluster list is filtered by the caller: filterFleet). */
  disposition?: string;
  /** Titles and dispositions of topics; default the shipped knowledge base. */
  knowledge?: TopicKnowledge;
}

const MAX_STALE_LISTED = 100;

function zeroChecks(): CheckCounts {
  return { pass: 0, fail: 0, warn: 0, info: 0 };
}

function zeroTriage(): Record<TriageKey, number> {
  return emptyTriageCounts();
}

/** Store triage keys are the knowledge base's dispositions plus "unknown"; anything else is counted as unknown. */
function triageKey(k: string): TriageKey {
  return triageKeyOf(k);
}

function later(a: string | null, b: string): string {
  return a === null || b > a ? b : a;
}

/** A stored time as canonical ISO 8601; text that is not a time is passed through. */
export function iso(t: string): string {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
}

function sum(t: Record<TriageKey, number>, keys: readonly TriageKey[]): number {
  return keys.reduce((n, k) => n + t[k], 0);
}

/** What the summary reads of a cluster: a whole summary, or the fleet digest's record of it. */
export type FleetRow = Pick<
  ClusterSummary,
  'clusterId' | 'subscriptionId' | 'resourceGroup' | 'name' | 'outcome' | 'reason' | 'startedAt' | 'finishedAt' | 'firstAttemptAt'
> & { results: Pick<ClusterResultsSummary, 'finishedAt' | 'benchmark' | 'totals' | 'triage' | 'failingTopics'> | null };

export function summariseFleet(summaries: readonly FleetRow[], opts: FleetSummaryOptions): FleetSummary {
  if (!(opts.now instanceof Date) || Number.isNaN(opts.now.getTime())) throw new Error('summariseFleet: now is not a valid Date');
  if (!Number.isFinite(opts.schedulePeriodMs) || opts.schedulePeriodMs <= 0)
    throw new Error(`summariseFleet: schedulePeriodMs must be positive, got ${opts.schedulePeriodMs}`);
  const top = opts.top ?? 10;
  const kb = opts.knowledge ?? knowledgeBaseTopics();

  const clusters = { total: 0, scanned: 0, skipped: 0, failed: 0, stale: 0, withResults: 0 };
  const reasons: FleetSummary['reasons'] = { skipped: {}, failed: {} };
  const checks = zeroChecks();
  const byDisposition = zeroTriage();
  const clustersWith = zeroTriage();
  const topics = new Map<string, { clusters: number; title: string | null; disposition: string | null; mixed: boolean }>();
  const subs = new Map<string, SubscriptionRow>();
  const stale: (StaleCluster & { since: string })[] = [];
  let lastScan: string | null = null;

  for (const s of summaries) {
    clusters.total++;
    clusters[s.outcome]++;
    if (s.outcome !== 'scanned' && s.reason) {
      const bucket = reasons[s.outcome];
      bucket[s.reason] = (bucket[s.reason] ?? 0) + 1;
    }
    const finished = iso(s.finishedAt || s.startedAt);
    lastScan = later(lastScan, finished);
    const isOld = isStale(s, opts.now, opts.schedulePeriodMs);

    let sub = subs.get(s.subscriptionId.toLowerCase());
    if (!sub) {
      sub = {
        subscriptionId: s.subscriptionId,
        clusters: 0,
        scanned: 0,
        skipped: 0,
        failed: 0,
        stale: 0,
        withResults: 0,
        checks: zeroChecks(),
        yoursToFix: 0,
        notYours: 0,
        lastScan: null,
      };
      subs.set(s.subscriptionId.toLowerCase(), sub);
    }
    sub.clusters++;
    sub[s.outcome]++;
    sub.lastScan = later(sub.lastScan, finished);
    if (isOld) {
      clusters.stale++;
      sub.stale++;
      stale.push({
        clusterId: s.clusterId,
        subscriptionId: s.subscriptionId,
        resourceGroup: s.resourceGroup,
        name: s.name,
        outcome: s.outcome,
        reason: s.reason,
        lastAttempt: finished,
        lastResults: s.results ? iso(s.results.finishedAt) : null,
        firstAttempt: iso(s.firstAttemptAt || s.startedAt),
        since: iso(staleSince(s)),
      });
    }

    const r = s.results;
    if (!r) continue;
    clusters.withResults++;
    sub.withResults++;
    for (const k of ['pass', 'fail', 'warn', 'info'] as const) {
      checks[k] += r.totals[k];
      sub.checks[k] += r.totals[k];
    }
    const own = zeroTriage();
    for (const [k, n] of Object.entries(r.triage)) own[triageKey(k)] += n;
    for (const k of TRIAGE_KEYS) {
      byDisposition[k] += own[k];
      if (own[k] > 0) clustersWith[k]++;
    }
    sub.yoursToFix += sum(own, YOURS);
    sub.notYours += sum(own, NOT_YOURS);

    for (const topic of r.failingTopics) {
      const info = kb.topic(topic, r.benchmark);
      const t = topics.get(topic);
      if (!t) topics.set(topic, { clusters: 1, title: info?.title ?? null, disposition: info?.disposition ?? null, mixed: false });
      else {
        t.clusters++;
        // A topic can be a quirk on one benchmark and an action on another; the filter then matches either.
        if ((info?.disposition ?? null) !== t.disposition) t.mixed = true;
      }
    }
  }

  const wanted = opts.disposition;
  const topFailing: TopFailing[] = [...topics.entries()]
    .filter(([topic, t]) => wanted === undefined || (t.disposition ?? 'unknown') === wanted || (t.mixed && topicHas(summaries, kb, topic, wanted)))
    .sort(([ta, a], [tb, b]) => b.clusters - a.clusters || (ta < tb ? -1 : ta > tb ? 1 : 0))
    .slice(0, top)
    .map(([topic, t]) => ({
      topic,
      title: t.title ?? topic,
      disposition: t.mixed ? 'mixed' : t.disposition,
      clusters: t.clusters,
      share: clusters.withResults === 0 ? 0 : Math.round((t.clusters / clusters.withResults) * 10_000) / 10_000,
    }));

  const triage: TriageSplit = {
    basis: 'failing-checks-per-cluster',
    yoursToFix: { total: sum(byDisposition, YOURS), action: byDisposition.action, environment: byDisposition.environment },
    notYours: {
      total: sum(byDisposition, NOT_YOURS),
      platform: byDisposition.platform,
      'equivalent-control': byDisposition['equivalent-control'],
      'check-quirk': byDisposition['check-quirk'],
      obsolete: byDisposition.obsolete,
      unknown: byDisposition.unknown,
    },
    byDisposition,
    clustersWith,
  };

  stale.sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : a.clusterId < b.clusterId ? -1 : 1));
  return {
    generatedAt: opts.now.toISOString(),
    staleAfterMs: staleAfterMs(opts.schedulePeriodMs),
    clusters,
    reasons,
    checks,
    triage,
    topFailing,
    subscriptions: [...subs.values()].sort((a, b) => (a.subscriptionId.toLowerCase() < b.subscriptionId.toLowerCase() ? -1 : 1)),
    lastScan,
    staleClusters: stale.slice(0, MAX_STALE_LISTED).map(({ since: _since, ...c }) => c),
  };
}

function topicHas(summaries: readonly FleetRow[], kb: TopicKnowledge, topic: string, disposition: string): boolean {
  return summaries.some((s) => s.results?.failingTopics.includes(topic) && (kb.topic(topic, s.results.benchmark)?.disposition ?? 'unknown') === disposition);
}
