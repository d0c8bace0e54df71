import { describe, expect, it } from 'vitest';
import type { ClusterScan } from '../../src/model/cluster.js';
import type { ClusterSummary, Store } from '../../src/store/index.js';
import { topicContributions } from '../../src/store/rollup.js';
import type { Classifier } from '../../src/store/types.js';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, node, scanned, skipped } from './fixtures.js';

const az = useAzurite();

const TOPICS = ['kubelet-anonymous-auth', 'kubelet-read-only-port', 'kubelet-event-qps', 'kubelet-serving-cert-rotation'];
const FAILABLE = ['3.2.1', '3.2.4', '3.2.5', '3.2.7', '3.2.9'];

/** Pools judge differently: on a "legacy" pool 3.2.4 is the platform's, elsewhere the owner's (so "yours wins" is exercised). */
const byPool: Classifier = (c, pool) => {
  const k = classify(c, pool);
  return k && pool === 'legacy' && c.id === '3.2.4' ? { ...k, disposition: 'platform' } : k;
};

/** A small deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomScan(rnd: () => number, name: string, day: number): ClusterScan {
  // The subscription and resource group follow from the name: a cluster keeps its id from scan to scan.
  const n = Number(name.replace(/\D/g, '')) || 0;
  const ref = clusterRef(name, `00000000-0000-0000-0000-00000000000${1 + (n % 3)}`, `rg-${n % 4}`);
  const at = `2026-11-${String(day).padStart(2, '0')}T00:00:00.000Z`;
  if (rnd() < 0.15) return skipped(ref, at);
  const pools = ['system', 'user', 'legacy'].slice(0, 1 + Math.floor(rnd() * 3));
  const nodes = pools.flatMap((p) =>
    Array.from({ length: 1 + Math.floor(rnd() * 2) }, (_, i) =>
      node(
        `${name}-${p}-${i}`,
        p,
        FAILABLE.filter(() => rnd() < 0.35),
      ),
    ),
  );
  return scanned(ref, nodes, at);
}

/** The answer the store gave before the aggregate: the whole fleet, filtered in memory. */
function inMemory(fleet: ClusterSummary[], topic: string): string[] {
  return fleet
    .filter((s) => s.results?.failingTopics.includes(topic))
    .map((s) => s.name)
    .sort();
}

/** The aggregate rows of every topic must be exactly what the clusters' latest results contribute. */
async function expectAggregateMatchesFleet(store: Store, label: string): Promise<void> {
  const fleet = await store.listClusterSummaries();
  for (const topic of TOPICS) {
    const rows = await store.listTopicFailures(topic);
    expect(rows.map((r) => r.name).sort(), `${label}: rows of ${topic}`).toEqual(inMemory(fleet, topic));
    expect((await store.listClustersFailing({ topic })).map((s) => s.name).sort(), `${label}: answer for ${topic}`).toEqual(inMemory(fleet, topic));
    for (const row of rows) {
      const summary = fleet.find((s) => s.name === row.name);
      const latest = await store.getClusterScan(row.clusterId, summary?.results?.scanId ?? '');
      const want = topicContributions(latest?.checks ?? []).get(topic);
      expect({ disposition: row.disposition, pools: row.pools, checks: row.checks }, `${label}: row ${row.name} of ${topic}`).toEqual(want);
    }
  }
}

describe('the per-topic aggregate (Azurite)', () => {
  it('answers like the old in-memory filter on a random fleet, scan after scan, skipped attempts included', async () => {
    const store = await az.store();
    const seed = 1307;
    const rnd = random(seed);
    const names = Array.from({ length: 16 }, (_, i) => `aks-r${i}`);
    for (let day = 1; day <= 3; day++) {
      for (const name of names) await store.saveClusterScan(randomScan(rnd, name, day), { runId: `r${day}`, scanId: `s${day}` }, byPool);
      await expectAggregateMatchesFleet(store, `seed ${seed}, after day ${day}`);
    }
    // Somebody fails something, and "yours" wins over "platform" when pools disagree on 3.2.4.
    const fleet = await store.listClusterSummaries();
    expect(TOPICS.some((t) => inMemory(fleet, t).length > 0)).toBe(true);
  });

  it('a fixed check leaves the topic, a skipped attempt keeps it, and failing again brings the cluster back', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-flappy');
    const save = (scan: ClusterScan, id: string): Promise<void> => store.saveClusterScan(scan, { runId: id, scanId: id }, classify);
    const failing = async (): Promise<string[]> => (await store.listTopicFailures('kubelet-read-only-port')).map((r) => r.name);

    await save(scanned(ref, [node('n1', 'system', ['3.2.4'])], '2026-11-01T00:00:00.000Z'), 'a');
    expect(await failing()).toEqual(['aks-flappy']);
    await save(scanned(ref, [node('n1', 'system', [])], '2026-11-02T00:00:00.000Z'), 'b');
    expect(await failing()).toEqual([]);
    expect(await store.listClustersFailing({ topic: 'kubelet-read-only-port' })).toEqual([]);
    await save(scanned(ref, [node('n1', 'system', ['3.2.4']), node('n2', 'user', ['3.2.4'])], '2026-11-03T00:00:00.000Z'), 'c');
    expect((await store.listTopicFailures('kubelet-read-only-port')).map((r) => r.pools)).toEqual([['system', 'user']]);
    // A skipped attempt changes the latest outcome, not the latest results: the cluster still fails the topic.
    await save(skipped(ref, '2026-11-04T00:00:00.000Z'), 'd');
    expect(await failing()).toEqual(['aks-flappy']);
    // A late redelivery of the fixed scan is history only: the pointer, and so the aggregate, stay on c.
    await save(scanned(ref, [node('n1', 'system', [])], '2026-11-02T00:00:00.000Z'), 'b');
    expect(await failing()).toEqual(['aks-flappy']);
    await expectAggregateMatchesFleet(store, 'flappy');
  });

  it('stays exact under concurrent workers: many clusters at once, and racing scans of the same cluster', async () => {
    const store = await az.store();
    const rnd = random(42);
    const scans: { scan: ClusterScan; id: string }[] = [];
    for (let c = 0; c < 16; c++) {
      // Three scans per cluster on different days, saved in a shuffled order by separate stores (worker instances).
      for (const day of [1, 2, 3]) scans.push({ scan: randomScan(rnd, `aks-c${c}`, day), id: `s${day}` });
    }
    for (let i = scans.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [scans[i], scans[j]] = [scans[j]!, scans[i]!];
    }
    // Eight workers, as one instance's queue concurrency, each taking the next message.
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const worker = az.sameTables(store);
        for (let i = next++; i < scans.length; i = next++) await worker.saveClusterScan(scans[i]!.scan, { runId: scans[i]!.id, scanId: scans[i]!.id }, byPool);
      }),
    );
    const fleet = await store.listClusterSummaries();
    // Each cluster's pointer is on its newest scanned attempt, and the aggregate agrees with it.
    for (const s of fleet) {
      const newestScanned = scans
        .filter((x) => x.scan.cluster.name === s.name && x.scan.outcome.kind === 'scanned')
        .map((x) => x.id)
        .sort()
        .pop();
      expect(s.results?.scanId ?? null, s.name).toBe(newestScanned ?? null);
    }
    await expectAggregateMatchesFleet(store, 'concurrent');
  });

  it('a worker that lost the race rewrites the rows it wrote from older results', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-duel');
    // Six workers at once, each with a different topic set; the newest scan fails only 3.2.1.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const failing = i === 5 ? ['3.2.1'] : [FAILABLE[i % FAILABLE.length]!, '3.2.9'];
        const scan = scanned(ref, [node('n', 'system', failing)], `2026-11-${String(10 + i)}T00:00:00.000Z`);
        return az.sameTables(store).saveClusterScan(scan, { runId: `r${i}`, scanId: `s${i}` }, classify);
      }),
    );
    const topics = [];
    for (const t of TOPICS) if ((await store.listTopicFailures(t)).length) topics.push(t);
    expect(topics).toEqual(['kubelet-anonymous-auth']);
    await expectAggregateMatchesFleet(store, 'duel');
  });
});
