/** summariseFleet on hand-made per-cluster summaries: staleness edges, ordering, dispositions. */
import { describe, expect, it } from 'vitest';
import type { TopicKnowledge } from '../../src/report/fleet-knowledge.js';
import { FleetSummarySchema, summariseFleet } from '../../src/report/summary.js';
import type { ClusterSummary } from '../../src/store/types.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const DAY = 86_400_000;

function summary(
  name: string,
  finishedAt: string,
  results: { topics: string[]; triage: Record<string, number>; benchmark?: string } | null,
  sub = 'sub-1',
): ClusterSummary {
  return {
    clusterId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
    subscriptionId: sub,
    resourceGroup: 'rg',
    name,
    location: 'westeurope',
    kubernetesVersion: '1.33.2',
    tags: {},
    outcome: results ? 'scanned' : 'failed',
    reason: results ? null : 'timeout',
    detail: results ? null : 'took too long',
    benchmark: results?.benchmark ?? 'aks-1.8',
    scanId: `s-${name}`,
    runId: 'r',
    startedAt: finishedAt,
    finishedAt,
    firstAttemptAt: finishedAt,
    results: results
      ? {
          scanId: `s-${name}`,
          finishedAt,
          benchmark: results.benchmark ?? 'aks-1.8',
          totals: { pass: 10, fail: results.topics.length, warn: 1, info: 0 },
          nodes: 1,
          nodeFailures: 0,
          pools: ['p'],
          triage: results.triage,
          failingTopics: results.topics,
          failingChecks: [],
          failingTruncated: false,
        }
      : null,
  };
}

/** A knowledge base of three topics; "b" is an action on cis-1.10 and a quirk elsewhere. */
const kb: TopicKnowledge = {
  topic: (t, benchmark) =>
    t === 'a'
      ? { title: 'Topic A', disposition: 'action' }
      : t === 'b'
        ? { title: 'Topic B', disposition: benchmark === 'cis-1.10' ? 'action' : 'check-quirk' }
        : t === 'c'
          ? { title: 'Topic C', disposition: 'platform' }
          : null,
};

describe('summariseFleet', () => {
  it('calls a cluster stale only after more than two schedule periods', () => {
    const at = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
    const s = summariseFleet([summary('edge', at(2 * DAY), null), summary('over', at(2 * DAY + 1), null), summary('fresh', at(1000), null)], {
      now: NOW,
      schedulePeriodMs: DAY,
      knowledge: kb,
    });
    expect(s.clusters.stale).toBe(1);
    expect(s.staleClusters.map((c) => c.name)).toEqual(['over']);
    expect(s.staleAfterMs).toBe(2 * DAY);
    expect(s.lastScan).toBe(at(1000));
    expect(s.reasons.failed).toEqual({ timeout: 3 });
  });

  it('counts staleness from the last results, not from attempts that failed since; a never-scanned cluster from its first attempt', () => {
    const at = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
    const withOldResults = (name: string, resultsAge: number, attemptAge: number): ClusterSummary => {
      const s = summary(name, at(resultsAge), { topics: [], triage: {} });
      // Failed today (or resultsAge ago), with the results of an earlier scan.
      return {
        ...s,
        outcome: 'failed',
        reason: 'timeout',
        detail: 'took too long',
        scanId: `f-${name}`,
        startedAt: at(attemptAge),
        finishedAt: at(attemptAge),
        firstAttemptAt: at(40 * DAY),
      };
    };
    const neverScanned = (name: string, firstAge: number): ClusterSummary => ({ ...summary(name, at(1000), null), firstAttemptAt: at(firstAge) });
    const fleet = [
      withOldResults('fails-daily', 30 * DAY, 1000),
      withOldResults('fails-since-yesterday', DAY, 1000),
      neverScanned('never-old', 3 * DAY),
      neverScanned('never-new', DAY),
    ];
    const s = summariseFleet(fleet, { now: NOW, schedulePeriodMs: DAY, knowledge: kb });
    expect(FleetSummarySchema.safeParse(s).success).toBe(true);
    expect(s.clusters.stale).toBe(2);
    // Longest unscanned first, with what a reader needs to see why.
    expect(s.staleClusters).toEqual([
      {
        clusterId: fleet[0]?.clusterId,
        subscriptionId: 'sub-1',
        resourceGroup: 'rg',
        name: 'fails-daily',
        outcome: 'failed',
        reason: 'timeout',
        lastAttempt: at(1000),
        lastResults: at(30 * DAY),
        firstAttempt: at(40 * DAY),
      },
      {
        clusterId: fleet[2]?.clusterId,
        subscriptionId: 'sub-1',
        resourceGroup: 'rg',
        name: 'never-old',
        outcome: 'failed',
        reason: 'timeout',
        lastAttempt: at(1000),
        lastResults: null,
        firstAttempt: at(3 * DAY),
      },
    ]);
    expect(s.subscriptions[0]?.stale).toBe(2);
  });

  it('orders topics by clusters then name, shares over clusters with results, titles from the knowledge base', () => {
    const t = '2026-11-26T00:00:00.000Z';
    const fleet = [
      summary('1', t, { topics: ['a', 'c'], triage: { action: 1, platform: 1 } }),
      summary('2', t, { topics: ['c', 'zzz'], triage: { platform: 1, unknown: 1 } }),
      summary('3', t, { topics: ['b'], triage: { 'check-quirk': 1 } }),
      summary('4', t, { topics: ['b'], triage: { action: 1 }, benchmark: 'cis-1.10' }, 'sub-2'),
      summary('5', t, null),
    ];
    const s = summariseFleet(fleet, { now: NOW, schedulePeriodMs: DAY, knowledge: kb });
    expect(FleetSummarySchema.safeParse(s).success).toBe(true);
    expect(s.topFailing.map((x) => [x.topic, x.title, x.disposition, x.clusters, x.share])).toEqual([
      ['b', 'Topic B', 'mixed', 2, 0.5],
      ['c', 'Topic C', 'platform', 2, 0.5],
      ['a', 'Topic A', 'action', 1, 0.25],
      ['zzz', 'zzz', null, 1, 0.25],
    ]);
    expect(summariseFleet(fleet, { now: NOW, schedulePeriodMs: DAY, knowledge: kb, top: 2 }).topFailing.map((x) => x.topic)).toEqual(['b', 'c']);
    expect(summariseFleet(fleet, { now: NOW, schedulePeriodMs: DAY, knowledge: kb, disposition: 'action' }).topFailing.map((x) => x.topic)).toEqual(['b', 'a']);
    expect(summariseFleet(fleet, { now: NOW, schedulePeriodMs: DAY, knowledge: kb, disposition: 'unknown' }).topFailing.map((x) => x.topic)).toEqual(['zzz']);
    expect(s.triage.yoursToFix).toEqual({ total: 2, action: 2, environment: 0 });
    expect(s.triage.notYours.total).toBe(4);
    expect(s.subscriptions.map((r) => [r.subscriptionId, r.clusters, r.withResults, r.yoursToFix])).toEqual([
      ['sub-1', 4, 3, 1],
      ['sub-2', 1, 1, 1],
    ]);
  });

  it('counts a disposition the model does not know as unknown, and refuses a bad period', () => {
    const s = summariseFleet([summary('x', NOW.toISOString(), { topics: [], triage: { 'made-up': 2 } })], { now: NOW, schedulePeriodMs: DAY, knowledge: kb });
    expect(s.triage.byDisposition.unknown).toBe(2);
    expect(() => summariseFleet([], { now: NOW, schedulePeriodMs: 0 })).toThrow(/schedulePeriodMs/);
  });
});
