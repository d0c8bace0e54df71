/**
 * Pacing a run per subscription: the schedule never asks a subscription's bucket for more than its
 * burst plus its refill, is the same each time it is planned, interleaves subscriptions, and its
 * delays hold the first messages invisible in the real (Azurite) queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import type { ClusterLoad, Pace, PacedItem, PacedRun } from '../../src/pipeline/pacing.js';
import { paceRun } from '../../src/pipeline/pacing.js';
import { planRun } from '../../src/pipeline/pipeline.js';
import { enqueueRun } from '../../src/pipeline/step-queue.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { createQueueClient } from '../../src/store/index.js';
import { discoverFleet } from '../../src/discover/discover.js';
import type { ClusterRef } from '../../src/model/cluster.js';
import { DEFAULT_POLL_TIMING } from '../../src/scan/run-command.js';
import type { ClusterScanOptions } from '../../src/scan/scan-cluster.js';
import { MemoryStepRecords } from '../../src/scan/steps/records.js';
import type { ScanTask } from '../../src/scan/steps/steps.js';
import { startScan } from '../../src/scan/steps/steps.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();

interface Request {
  sub: string;
  at: number;
  n: number;
}

/** The requests a schedule makes: each item's POSTs at its delay, the rest at its first poll. */
function requestsOf(items: PacedItem[], run: PacedRun): Request[] {
  return items.flatMap((it, i) =>
    it.load.start === 0
      ? []
      : [
          { sub: it.subscriptionId, at: (run.delaysMs[i] as number) / 1000, n: it.load.start },
          {
            sub: it.subscriptionId,
            at: ((run.delaysMs[i] as number) + (run.firstPollAfterMs[i] as number)) / 1000,
            n: (run.requests[i] as number) - it.load.start,
          },
        ],
  );
}

/**
 * A token bucket admits a sequence when every window [s, t] holds at most burst + rate x (t - s)
 * requests. A command's polls are counted at once when the first goes, so a window may run over by
 * what the largest of them adds past one request: the next request waits for that debt.
 */
function worstOverrun(reqs: Request[], pace: Pace): number {
  let worst = -Infinity;
  for (const sub of new Set(reqs.map((r) => r.sub))) {
    const mine = reqs.filter((r) => r.sub === sub).sort((x, y) => x.at - y.at);
    for (let i = 0; i < mine.length; i++) {
      let used = 0;
      for (let j = i; j < mine.length; j++) {
        used += (mine[j] as Request).n;
        worst = Math.max(worst, used - (pace.burst + pace.perSecond * ((mine[j] as Request).at - (mine[i] as Request).at)));
      }
    }
  }
  return worst;
}

const learned = (firstPollMs: number): ClusterLoad => ({ start: 1, firstPollMs, learned: 1, unlearned: 0, rest: 0, timing: DEFAULT_POLL_TIMING });

describe('per-subscription pacing', () => {
  const pace = { burst: 55, perSecond: 1 };

  it('posts as the bucket allows, polls from the refill no earlier than each command should be done, and ends a command sooner than spacing whole clusters', () => {
    // 100 clusters of one subscription, each a POST and (learned) 1.1 polls of a 66 s command: 210 requests.
    const items: PacedItem[] = Array.from({ length: 100 }, (_, i) => ({ subscriptionId: 'sub-a', load: learned(66_000), key: `scan-${i}` }));
    const run = paceRun(items, pace);
    const reqs = requestsOf(items, run);
    // Within the bucket, but for the part of a poll counted early (0.1 of a request).
    expect(worstOverrun(reqs, pace)).toBeLessThanOrEqual(0.1 + 1e-9);
    // The burst POSTs at once; the rest one a second (plus under half a second of jitter).
    expect(run.delaysMs.filter((d) => d === 0)).toHaveLength(55);
    expect(Math.max(...run.delaysMs)).toBeGreaterThanOrEqual(45_000);
    expect(Math.max(...run.delaysMs)).toBeLessThan(46_000);
    // No poll before its command's expected end.
    expect(Math.min(...run.firstPollAfterMs)).toBeGreaterThanOrEqual(66_000);
    // The last request goes when the bucket has refilled for all of them: (210 - 55) / 1 s, and no
    // more than a few seconds later; spacing each cluster by its 2.1 requests would end at 155 + 66 s.
    const end = Math.max(...reqs.map((r) => r.at));
    expect(end).toBeGreaterThanOrEqual(155 - 11);
    expect(end).toBeLessThan(160);
    expect(run.requests.reduce((a, b) => a + b, 0)).toBeCloseTo(210, 6);
  });

  it('serves a due poll before further POSTs, so that a command waits about a burst for its result however large the subscription', () => {
    const items: PacedItem[] = Array.from({ length: 600 }, (_, i) => ({ subscriptionId: 'sub-a', load: learned(60_000), key: `scan-${i}` }));
    const run = paceRun(items, pace);
    expect(worstOverrun(requestsOf(items, run), pace)).toBeLessThanOrEqual(0.1 + 1e-9);
    // The longest wait past a command's end is bounded by the POSTs that went in its run time
    // and the burst, not by the 600 clusters: far under a scan's 10-minute deadline.
    expect(Math.max(...run.firstPollAfterMs)).toBeLessThan(60_000 + (55 + 60) * 1000);
  });

  it('a command nothing has taught is polled from 20 s, and a later first poll counts fewer polls', () => {
    const unlearned: ClusterLoad = { start: 1, firstPollMs: 20_000, learned: 0, unlearned: 1, rest: 0, timing: DEFAULT_POLL_TIMING };
    const items: PacedItem[] = Array.from({ length: 8 }, (_, i) => ({ subscriptionId: 'sub-a', load: unlearned, key: `scan-${i}` }));
    const run = paceRun(items, { burst: 20, perSecond: 1 });
    expect(run.delaysMs.every((d) => d === 0)).toBe(true);
    // Polled at 20 s, then every 5 s until the assumed minute: 9 polls; a first poll at 45 s needs 4.
    expect(run.requests[0]).toBe(10);
    const late = run.firstPollAfterMs.findIndex((g) => g >= 40_000);
    expect(late).toBeGreaterThan(0);
    expect(run.requests[late]).toBe(1 + 1 + Math.ceil((60_000 - (run.firstPollAfterMs[late] as number)) / 5000));
  });

  it('plans the same schedule each time, interleaves subscriptions, and a skipped cluster waits for nothing and delays no one', () => {
    const items: PacedItem[] = Array.from({ length: 40 }, (_, i) => ({
      subscriptionId: `sub-${i % 3 === 0 ? 'a' : 'b'}`,
      load: learned(30_000 + (i % 4) * 1000),
      key: `scan-${i}`,
    }));
    const small = { burst: 10, perSecond: 1 };
    const run = paceRun(items, small);
    expect(paceRun(items, small)).toEqual(run);
    expect(worstOverrun(requestsOf(items, run), small)).toBeLessThanOrEqual(0.1 + 1e-9);
    // sub-b has twice the clusters, so its POSTs end about twice as late: each bucket paces only its own.
    const last = (sub: string) => Math.max(...items.flatMap((it, i) => (it.subscriptionId === sub ? [run.delaysMs[i] as number] : [])));
    expect(last('sub-b')).toBeGreaterThan(1.6 * last('sub-a'));
    // Sent by delay; at equal delays, subscriptions take turns.
    const sent = run.order.map((i) => run.delaysMs[i] as number);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(run.order.slice(0, 4).map((i) => items[i]?.subscriptionId)).toEqual(['sub-a', 'sub-b', 'sub-a', 'sub-b']);
    const skipped = paceRun(
      [
        { subscriptionId: 'sub-a', load: { start: 0, firstPollMs: 0, learned: 0, unlearned: 0, rest: 0, timing: DEFAULT_POLL_TIMING }, key: 'skipped' },
        ...items,
      ],
      small,
    );
    expect(skipped.delaysMs[0]).toBe(0);
    expect(skipped.firstPollAfterMs[0]).toBe(0);
    expect(skipped.delaysMs.slice(1)).toEqual(run.delaysMs);
  });
});

describe('a paced run through the real queue', () => {
  let sim: RunningSimulator;
  const subs = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
  beforeAll(async () => {
    const fleet = parseFleetSpec(
      {
        subscriptions: subs.map((subscriptionId, i) => ({ subscriptionId, displayName: `s${i}` })),
        clusters: Array.from({ length: 10 }, (_, i) => ({
          subscriptionId: subs[i % 2] as string,
          resourceGroup: 'rg',
          name: `aks-${i}`,
          location: 'westeurope',
          kubernetesVersion: '1.33.2',
          pools: [{ name: 'system', mode: 'System' as const, count: 1 }],
          tags: {},
        })),
      },
      'pacing fleet',
    );
    sim = await startArmSimulator({ fleet });
  });
  afterAll(() => sim?.stop());

  it('the timer plan holds each subscription past its burst invisible, and the queue shows only the burst', async () => {
    const store = await az.store();
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const deps = { arm, store, now: () => new Date(), log: () => undefined };
    // Nothing learned: a cluster is expected to take a POST and 9 polls (a minute at 20 s + 5 s).
    const pace = { burst: 3, perSecond: 1 };
    const run = await planRun(deps, 'timer', {
      discovery: 'arm',
      subscriptions: [],
      excludeSubscriptions: [],
      filter: { includeTags: [], excludeTags: [] },
      pace,
    });
    expect(run.messages).toHaveLength(10);
    // Three POSTs of each subscription at once, the fourth a second later and the fifth two (+ under half a second of jitter).
    expect(run.delaysMs.filter((d) => d === 0)).toHaveLength(6);
    const bySub = (sub: string) => run.messages.flatMap((m, i) => (m.cluster.subscriptionId === sub ? [run.delaysMs[i] as number] : []));
    for (const sub of subs) {
      const d = bySub(sub).sort((a, b) => a - b);
      expect(d[3]).toBeGreaterThanOrEqual(1000);
      expect(d[3]).toBeLessThan(1500);
      expect(d[4]).toBeGreaterThanOrEqual(2000);
      expect(d[4]).toBeLessThan(2500);
    }
    // Every first message carries its first poll's place: no earlier than the 20 s first poll, and
    // the later clusters of a subscription wait for the refill that their earlier polls used.
    const gaps = run.messages.map((m) => m.firstPollAfterMs ?? 0);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...gaps)).toBeGreaterThan(25_000);
    const queue = createQueueClient(az.target(), `paced${Date.now().toString(36)}`);
    await queue.createIfNotExists();
    await enqueueRun(queue, run);
    const visible = await queue.peekMessages({ numberOfMessages: 32 });
    const ids = visible.peekedMessageItems.map((p) => (JSON.parse(Buffer.from(p.messageText, 'base64').toString('utf8')) as { scanId: string }).scanId);
    expect(ids.sort()).toEqual(
      run.messages
        .filter((_, i) => run.delaysMs[i] === 0)
        .map((m) => m.scanId)
        .sort(),
    );
    expect((await queue.getProperties()).approximateMessagesCount).toBe(10);
  });

  it("the worker's first step comes back at its first poll's place in the schedule, not before the command should be done", async () => {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca });
    const [cluster] = (await discoverFleet(arm, {})).clusters;
    const opts: ClusterScanOptions = { benchmark: 'auto', selection: 'per-pool', timing: DEFAULT_POLL_TIMING, deadlineMs: 600_000 };
    const deps = { arm, now: () => new Date(), records: new MemoryStepRecords(), random: () => 0 };
    const at = async (task: Partial<ScanTask>, scanId: string) => {
      const r = await startScan({ cluster: cluster as ClusterRef, key: { runId: 'paced', scanId }, ...task }, deps, opts);
      return r.kind === 'wait' ? r.delayMs : -1;
    };
    // Nothing learned and no slot: the first poll at 20 s. A slot 45 s after the POST: then.
    const plain = await at({}, 'paced-plain');
    expect(plain).toBeGreaterThan(19_000);
    expect(plain).toBeLessThanOrEqual(20_000);
    const slotted = await at({ firstPollAfterMs: 45_000 }, 'paced-slot');
    expect(slotted).toBeGreaterThan(44_000);
    expect(slotted).toBeLessThanOrEqual(45_000);
    // A slot earlier than the learned run time does not bring the poll forward.
    const learnedLonger = await at({ firstPollAfterMs: 30_000, durations: { '1': 70_000 } }, 'paced-learned');
    expect(learnedLonger).toBeGreaterThan(69_000);
    expect(learnedLonger).toBeLessThanOrEqual(70_000);
  });
});
