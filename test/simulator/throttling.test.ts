/** Token-bucket throttling, Retry-After, injected time and random fault rates. */
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_COMMAND } from '../../src/scan/incluster/contract.js';
import type { FleetSpec, RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { csClient, errorOf, raw } from './helpers.js';

const SUB = '11111111-1111-4111-8111-111111111111';
const pools = [{ name: 'system', mode: 'System' as const, count: 2 }];
const fleet = (extra: Partial<FleetSpec['clusters'][number]>[] = [{}], more: Record<string, unknown> = {}): FleetSpec =>
  parseFleetSpec(
    {
      subscriptions: [{ subscriptionId: SUB, displayName: 'S' }],
      clusters: extra.map((e, i) => ({ subscriptionId: SUB, resourceGroup: 'rg', name: `c${i}`, kubernetesVersion: '1.33', pools, ...e })),
      ...more,
    },
    'throttling fleet',
  );

const sims: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});
const start = async (...args: Parameters<typeof startArmSimulator>): Promise<RunningSimulator> => {
  const s = await startArmSimulator(...args);
  sims.push(s);
  return s;
};

describe('ARM throttling', () => {
  it('counts reads per subscription, reports what is left, and answers 429 SubscriptionRequestsThrottled with Retry-After', async () => {
    // Scale 0.02: ARM reads 250 @ 25/s become 5 @ 0.5/s.
    // A stopped clock: no refill, so the count cannot drift on a slow machine.
    const sim = await start({ fleet: fleet(), throttleScale: 0.02, clock: () => 1_000_000 });
    const path = `/subscriptions/${SUB}/providers/Microsoft.ContainerService/managedClusters?api-version=2026-04-01`;
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await raw(sim, 'GET', path);
      expect(r.status).toBe(200);
      remaining.push(String(r.headers['x-ms-ratelimit-remaining-subscription-reads']));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const r = await raw(sim, 'GET', path);
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(sim.requests.at(-1)).toMatchObject({ status: 429, fault: 'throttle-bucket', errorCode: 'SubscriptionRequestsThrottled' });
  });

  it('counts writes separately from reads', async () => {
    const sim = await start({ fleet: fleet(), throttleScale: 0.02, commandDurationMs: 0, clock: () => 1_000_000 });
    const r = await raw(
      sim,
      'POST',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c0/runCommand?api-version=2026-04-01`,
      {
        body: { command: 'kubectl get nodes' },
      },
    );
    expect(r.status).toBe(202);
    // ARM writes 200 @ 10/s at scale 0.02: 4 in the bucket, one taken.
    expect(r.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('3');
    expect(r.headers['x-ms-ratelimit-remaining-subscription-reads']).toBeUndefined();
  });

  it('applies the AKS resource provider bucket per cluster for GET: code Throttled', async () => {
    // AKS GET ManagedCluster: 60 @ 1/s per cluster; at scale 0.02 one token, refilled every 50 s.
    const sim = await start({ fleet: fleet([{}, {}]), throttleScale: 0.02, retryAfterSeconds: 0, clock: () => 1_000_000 });
    const cs = csClient(sim, SUB, { maxRetries: 0 });
    expect((await cs.managedClusters.get('rg', 'c0')).name).toBe('c0');
    const e = errorOf(await cs.managedClusters.get('rg', 'c0').catch((x: unknown) => x));
    expect({ statusCode: e.statusCode, code: e.code }).toEqual({ statusCode: 429, code: 'Throttled' });
    // Another cluster has its own bucket.
    expect((await cs.managedClusters.get('rg', 'c1')).name).toBe('c1');
  });

  it('the SDK honours Retry-After: it waits that long before retrying a 429', async () => {
    const sim = await start({
      fleet: fleet([{ faults: [{ kind: 'throttle', operation: 'ManagedClusters_Get', times: 1 }] }]),
      retryAfterSeconds: 1,
    });
    expect((await csClient(sim, SUB).managedClusters.get('rg', 'c0')).name).toBe('c0');
    expect(sim.requests).toHaveLength(2);
    const [first, second] = sim.requests;
    expect(first).toMatchObject({ status: 429, errorCode: 'TooManyRequests' });
    expect(second).toMatchObject({ status: 200 });
    // A lower bound on the simulator's own clock: load can only lengthen the gap.
    expect(second!.time - first!.time).toBeGreaterThanOrEqual(950);
  });

  it('random fault rates are seeded: the same seed gives the same faults', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const sim = await start({ fleet: fleet([{}], { randomFaults: { throttle: 0.2, serverError: 0.2, reset: 0.1 } }), seed, retryAfterSeconds: 0 });
      for (let i = 0; i < 30; i++)
        await raw(sim, 'GET', `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c0?api-version=2026-04-01`).catch(
          () => null,
        );
      return sim.requests.map((r) => `${r.status}:${r.fault ?? ''}`);
    };
    const a = await run(5);
    expect(a).toEqual(await run(5));
    expect(a.filter((x) => x.includes('random-')).length).toBeGreaterThan(5);
    expect(a.some((x) => x.startsWith('0:random-reset'))).toBe(true);
    expect(a.some((x) => x.startsWith('200:'))).toBe(true);
  });
});

describe('subscription faults', () => {
  it('a subscription whose cluster list is forbidden, and one whose list is throttled twice', async () => {
    const SUB2 = '22222222-2222-4222-8222-222222222222';
    const f = parseFleetSpec(
      {
        subscriptions: [
          { subscriptionId: SUB, displayName: 'S', faults: [{ kind: 'forbidden', operation: 'ManagedClusters_List' }] },
          { subscriptionId: SUB2, displayName: 'T', faults: [{ kind: 'throttle', operation: 'ManagedClusters_List', times: 2 }] },
        ],
        clusters: [
          { subscriptionId: SUB, resourceGroup: 'rg', name: 'a', kubernetesVersion: '1.33', pools },
          { subscriptionId: SUB2, resourceGroup: 'rg', name: 'b', kubernetesVersion: '1.33', pools },
        ],
      },
      'subscription faults',
    );
    const sim = await start({ fleet: f, retryAfterSeconds: 0 });
    const e = errorOf(
      await csClient(sim, SUB)
        .managedClusters.list()
        .next()
        .catch((x: unknown) => x),
    );
    expect({ statusCode: e.statusCode, code: e.code }).toEqual({ statusCode: 403, code: 'AuthorizationFailed' });
    expect(sim.requests[0]).toMatchObject({
      operation: 'ManagedClusters_List',
      status: 403,
      errorCode: 'AuthorizationFailed',
      fault: 'subscription-forbidden',
    });
    // Only the listed operation is hit: the cluster itself can still be read.
    expect((await csClient(sim, SUB).managedClusters.get('rg', 'a')).name).toBe('a');
    const names: string[] = [];
    for await (const c of csClient(sim, SUB2).managedClusters.list()) names.push(c.name ?? '');
    expect(names).toEqual(['b']);
    expect(sim.requests.filter((r) => r.subscriptionId === SUB2).map((r) => r.status)).toEqual([429, 429, 200]);
  });
});

describe('command time', () => {
  it('a slow command stays 202 until the injected clock passes its duration', async () => {
    let now = Date.parse('2026-11-26T10:00:00Z');
    const sim = await start({ fleet: fleet([{ faults: [{ kind: 'slow', durationMs: 10 * 60_000 }] }]), clock: () => now, retryAfterSeconds: 5 });
    const post = await raw(
      sim,
      'POST',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c0/runCommand?api-version=2026-06-01`,
      {
        body: { command: RUN_COMMAND },
      },
    );
    expect(post.status).toBe(202);
    expect(post.headers['retry-after']).toBe('5');
    const location = String(post.headers['location']);
    now += 9 * 60_000;
    const running = await raw(sim, 'GET', location);
    expect(running.status).toBe(202);
    expect(running.body).toBeUndefined();
    now += 61_000;
    const done = await raw(sim, 'GET', location);
    expect(done.status).toBe(200);
    const p = (done.body as { properties: { startedAt: string; finishedAt: string; exitCode: number } }).properties;
    expect(p.startedAt).toBe('2026-11-26T10:00:00Z');
    expect(p.finishedAt).toBe('2026-11-26T10:10:00Z');
    // No context: the script is not there, as bash would say.
    expect(p.exitCode).toBe(127);
  });

  it('an unknown command id is 404', async () => {
    const sim = await start({ fleet: fleet() });
    const r = await raw(
      sim,
      'GET',
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c0/commandResults/0123?api-version=2026-04-01`,
    );
    expect(r.status).toBe(404);
  });
});
