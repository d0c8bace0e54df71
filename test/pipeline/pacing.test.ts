/**
 * Pacing a run per subscription: the schedule never asks a subscription's bucket for more than its
 * burst plus its refill, is the same each time it is planned, interleaves subscriptions, and its
 * delays hold the first messages invisible in the real (Azurite) queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import type { PacedItem } from '../../src/pipeline/pacing.js';
import { paceRun } from '../../src/pipeline/pacing.js';
import { planRun } from '../../src/pipeline/pipeline.js';
import { enqueueRun } from '../../src/pipeline/step-queue.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { createQueueClient } from '../../src/store/index.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();

/** For every subscription and every start time: requests started by then <= burst + rate x time. */
function withinBuckets(items: PacedItem[], delaysMs: number[], pace: { burst: number; perSecond: number }): boolean {
  const subs = new Set(items.map((i) => i.subscriptionId));
  for (const sub of subs) {
    const mine = items.map((it, i) => ({ ...it, at: delaysMs[i] as number })).filter((x) => x.subscriptionId === sub);
    for (const t of mine.map((x) => x.at)) {
      const started = mine.filter((x) => x.at <= t).reduce((n, x) => n + x.requests, 0);
      if (started > pace.burst + (pace.perSecond * t) / 1000 + 1e-9) return false;
    }
  }
  return true;
}

describe('per-subscription pacing', () => {
  const items: PacedItem[] = Array.from({ length: 40 }, (_, i) => ({
    subscriptionId: `sub-${i % 3 === 0 ? 'a' : 'b'}`,
    requests: 2 + (i % 2),
    key: `scan-${i}`,
  }));
  const pace = { burst: 10, perSecond: 1 };

  it('keeps every subscription within its burst and refill, starts the burst at once, and plans the same delays each time', () => {
    const { order, delaysMs } = paceRun(items, pace);
    expect(withinBuckets(items, delaysMs, pace)).toBe(true);
    expect(paceRun(items, pace)).toEqual({ order, delaysMs });
    // The burst: sub-a's first clusters (2, 3, 2, 3 requests) and sub-b's (3, 2, 2, 3) fill 10 at once; the fifth waits.
    const immediate = items.filter((_, i) => delaysMs[i] === 0).map((it) => it.key);
    expect(immediate).toEqual(['scan-0', 'scan-1', 'scan-2', 'scan-3', 'scan-4', 'scan-5', 'scan-6', 'scan-9']);
    // sub-a's fifth (scan-12, 2 requests) is due when the bucket has 2 more: 2 s, plus up to 1 s of jitter.
    expect(delaysMs[12]).toBeGreaterThanOrEqual(2000);
    expect(delaysMs[12]).toBeLessThan(3000);
    // sub-b has twice the clusters, so it ends about twice as late: each bucket paces only its own.
    const last = (sub: string) => Math.max(...items.flatMap((it, i) => (it.subscriptionId === sub ? [delaysMs[i] as number] : [])));
    expect(last('sub-b')).toBeGreaterThan(1.6 * last('sub-a'));
    // Sent by delay; at equal delays, subscriptions take turns.
    const sent = order.map((i) => delaysMs[i] as number);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(order.slice(0, 4).map((i) => items[i]?.subscriptionId)).toEqual(['sub-a', 'sub-b', 'sub-a', 'sub-b']);
  });

  it('a cluster with no requests (skipped) waits for nothing and delays no one', () => {
    const { delaysMs } = paceRun([{ subscriptionId: 'sub-a', requests: 0, key: 'skipped' }, ...items], pace);
    expect(delaysMs[0]).toBe(0);
    expect(delaysMs.slice(1)).toEqual(paceRun(items, pace).delaysMs);
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
    // Nothing learned: a cluster is expected to take a POST and 9 polls (a minute at 20 s + 5 s), 10 requests.
    const pace = { burst: 20, perSecond: 1 };
    const run = await planRun(deps, 'timer', {
      discovery: 'arm',
      subscriptions: [],
      excludeSubscriptions: [],
      filter: { includeTags: [], excludeTags: [] },
      pace,
    });
    expect(run.messages).toHaveLength(10);
    // Two clusters of each subscription at once; the third 10 s later (+ up to 5 s of jitter), and so on.
    expect(run.delaysMs.filter((d) => d === 0)).toHaveLength(4);
    const bySub = (sub: string) => run.messages.flatMap((m, i) => (m.cluster.subscriptionId === sub ? [run.delaysMs[i] as number] : []));
    for (const sub of subs) {
      const d = bySub(sub);
      expect(d[2]).toBeGreaterThanOrEqual(10_000);
      expect(d[2]).toBeLessThan(15_000);
      expect(d[4]).toBeGreaterThanOrEqual(30_000);
    }
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
});
