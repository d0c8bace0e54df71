/**
 * Azure's buckets on a faster clock (the fleet bench): sizes stay Azure's, only the refill runs
 * faster, and the real wait goes out in retry-after-ms; result polls can share runCommand's bucket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetSpec, RunningSimulator } from '../../src/simulator/index.js';
import { aksBucketOf, parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { raw } from './helpers.js';

const SUB = '11111111-1111-4111-8111-111111111111';
const fleet = (n: number): FleetSpec =>
  parseFleetSpec(
    {
      subscriptions: [{ subscriptionId: SUB, displayName: 'S' }],
      clusters: Array.from({ length: n }, (_, i) => ({
        subscriptionId: SUB,
        resourceGroup: 'rg',
        name: `c${i}`,
        kubernetesVersion: '1.33',
        pools: [{ name: 'system', mode: 'System' as const, count: 1 }],
      })),
    },
    'time-scale fleet',
  );
const runCommand = (i: number): string =>
  `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c${i}/runCommand?api-version=2026-04-01`;

const sims: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

describe('throttleTimeScale', () => {
  it('keeps the "all other APIs" bucket at 60 and refills it timeScale tokens a second; Retry-After in Azure seconds, retry-after-ms in real ms', async () => {
    let now = 1_000_000;
    const sim = await startArmSimulator({ fleet: fleet(1), throttleTimeScale: 10, commandDurationMs: 0, clock: () => now });
    sims.push(sim);
    for (let i = 0; i < 60; i++) expect((await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } })).status).toBe(202);
    const refused = await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'Throttled' } });
    // One token at 1/s on a clock 10 times as fast: 1 Azure second, 100 real ms.
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['retry-after-ms']).toBe('100');
    now += 100;
    expect((await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } })).status).toBe(202);
    expect((await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } })).status).toBe(429);
  });

  it('a running command answers its poll with Retry-After 1 and its real equivalent', async () => {
    const sim = await startArmSimulator({ fleet: fleet(1), throttleTimeScale: 4, commandDurationMs: 60_000 });
    sims.push(sim);
    const post = await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } });
    const location = new URL(String(post.headers['location']));
    const poll = await raw(sim, 'GET', `${location.pathname}${location.search}`);
    expect(poll.status).toBe(202);
    expect({ s: poll.headers['retry-after'], ms: poll.headers['retry-after-ms'] }).toEqual({ s: '1', ms: '250' });
    expect(sim.commandRuns).toHaveLength(1);
    expect(sim.commandRuns[0]!.finishAt - sim.commandRuns[0]!.startedAt).toBe(60_000);
  });

  it('without a time scale no retry-after-ms is sent', async () => {
    const sim = await startArmSimulator({ fleet: fleet(1), throttleScale: 0.02, clock: () => 5 });
    sims.push(sim);
    // At scale 0.02 "all other APIs" holds one token.
    await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } });
    const refused = await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after-ms']).toBeUndefined();
  });
});

describe('commandResultBucket', () => {
  it('"other" charges result polls to runCommand\'s bucket; the default keeps them in operation status', async () => {
    expect(aksBucketOf('ManagedClusters_GetCommandResult').name).toBe('aks-op');
    expect(aksBucketOf('ManagedClusters_GetCommandResult', 'other').name).toBe('aks-other');
    expect(aksBucketOf('ManagedClusters_RunCommand', 'other')).toMatchObject({ name: 'aks-other', spec: { capacity: 60, perSecond: 1 }, per: 'subscription' });
    expect(aksBucketOf('ManagedClusters_Get').per).toBe('cluster');

    const now = 1_000_000;
    const sim = await startArmSimulator({ fleet: fleet(1), commandResultBucket: 'other', commandDurationMs: 60_000, clock: () => now });
    sims.push(sim);
    const post = await raw(sim, 'POST', runCommand(0), { body: { command: 'true' } });
    const location = new URL(String(post.headers['location']));
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await raw(sim, 'GET', `${location.pathname}${location.search}`)).status);
    // The POST took one of the 60 tokens: the 60th poll is refused.
    expect(statuses.filter((s) => s === 202)).toHaveLength(59);
    expect(statuses.at(-1)).toBe(429);
  });
});
