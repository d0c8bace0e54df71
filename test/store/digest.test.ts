import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import type { ClusterRef, ClusterScan } from '../../src/model/cluster.js';
import { summariseFleet } from '../../src/report/summary.js';
import type { Store } from '../../src/store/store.js';
import type { ClusterDigest, ClusterSummary } from '../../src/store/types.js';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, skipped, threePools } from './fixtures.js';

const az = useAzurite();
const day = (n: number, h = 2): string => new Date(Date.UTC(2026, 10, n, h)).toISOString();
const NOW = new Date(day(20));

function failed(ref: ClusterRef, startedAt: string): ClusterScan {
  return {
    cluster: ref,
    benchmark: 'aks-1.8',
    outcome: { kind: 'failed', reason: 'timeout', detail: 'run-command did not finish' },
    startedAt,
    finishedAt: startedAt,
  };
}

/** What the digest must agree on with the fleet entity. */
function essentials(s: ClusterSummary | ClusterDigest): unknown {
  const r = s.results;
  return {
    id: s.clusterId,
    sub: s.subscriptionId,
    rg: s.resourceGroup,
    name: s.name,
    version: s.kubernetesVersion,
    outcome: s.outcome,
    reason: s.reason,
    scanId: s.scanId,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    firstAttemptAt: s.firstAttemptAt,
    results: r && {
      scanId: r.scanId,
      finishedAt: r.finishedAt,
      benchmark: r.benchmark,
      totals: r.totals,
      triage: r.triage,
      topics: r.failingTopics,
      cut: r.failingTruncated,
    },
  };
}

async function expectDigestMatchesFleet(store: Store): Promise<void> {
  const summaries = await store.listClusterSummaries();
  const digest = await store.listClusterDigests();
  const byId = (a: { clusterId: string }, b: { clusterId: string }): number => (a.clusterId < b.clusterId ? -1 : 1);
  expect(digest.map(essentials).sort()).toEqual(summaries.map(essentials).sort());
  expect([...digest].sort(byId).map(essentials)).toEqual([...summaries].sort(byId).map(essentials));
  // The fleet summary reads nothing the digest lacks: the same answer from either.
  const opts = { now: NOW, schedulePeriodMs: 86_400_000 };
  expect(summariseFleet(digest, opts)).toEqual(summariseFleet(summaries, opts));
  expect(summariseFleet(digest, { ...opts, disposition: 'action', top: 3 })).toEqual(summariseFleet(summaries, { ...opts, disposition: 'action', top: 3 }));
}

describe('the fleet digest (Azurite)', () => {
  it('converges on every fleet entity when writers race over two shards, attempts arrive out of order and messages are redelivered', async () => {
    // Two shards: about twenty clusters share each, so concurrent writers lose ETag races all the time.
    const store = await az.store({ digestShards: 2 });
    const saves: { scan: ClusterScan; scanId: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const ref = clusterRef(`aks-${i}`, `00000000-0000-0000-0000-00000000000${i % 3}`, `rg-${i % 4}`);
      const failing = i % 2 ? ['3.2.4'] : ['3.2.7', '3.2.9'];
      saves.push({ scan: threePools(ref, day(1), ['3.2.1']), scanId: `a${i}` });
      saves.push({ scan: threePools(ref, day(2), failing), scanId: `b${i}` });
      if (i % 3 === 0) saves.push({ scan: skipped(ref, day(3)), scanId: `c${i}` });
      if (i % 5 === 0) saves.push({ scan: failed(ref, day(4)), scanId: `d${i}` });
    }
    // Newest first, then every save again (a redelivery), 8 in flight.
    const order = [...saves].reverse().concat(saves.filter((_, i) => i % 4 === 0));
    const limit = pLimit(8);
    await Promise.all(order.map((s) => limit(() => store.saveClusterScan(s.scan, { runId: 'r', scanId: s.scanId }, classify))));
    await expectDigestMatchesFleet(store);
    const digest = await store.listClusterDigests();
    expect(digest.length).toBe(40);
    // The latest attempt wins, the latest results stay, the first attempt is the earliest.
    const d0 = digest.find((d) => d.name === 'aks-0');
    expect([d0?.scanId, d0?.outcome, d0?.results?.scanId, d0?.firstAttemptAt]).toEqual(['d0', 'failed', 'b0', day(1)]);
  });

  it('answers from one query once built, whatever the number of clusters', async () => {
    const store = await az.store();
    for (let i = 0; i < 5; i++) await store.saveClusterScan(threePools(clusterRef(`aks-${i}`), day(1)), { runId: 'r', scanId: `s${i}` }, classify);
    store.requests.reset();
    expect((await store.listClusterDigests()).length).toBe(5);
    expect(store.requests.total).toBe(1);
  });

  it('builds the digest of a fleet saved before it existed on the first read, then answers from it', async () => {
    const store = await az.store();
    for (let i = 0; i < 6; i++) {
      const ref = clusterRef(`aks-old-${i}`);
      await store.saveClusterScan(threePools(ref, day(1)), { runId: 'r1', scanId: `s${i}` }, classify);
      if (i % 2) await store.saveClusterScan(skipped(ref, day(2)), { runId: 'r2', scanId: `k${i}` }, classify);
    }
    // Remove the digest with a plain client, as a fleet stored by the previous version has none.
    const { TableClient } = await import('@azure/data-tables');
    const table = TableClient.fromConnectionString(az.instance.connectionString, store.tables.clusters, { allowInsecureConnection: true });
    for await (const e of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'd'" } }))
      await table.deleteEntity(String(e.partitionKey), String(e.rowKey));
    const summaries = await store.listClusterSummaries();
    expect((await store.listClusterDigests()).map(essentials)).toEqual(summaries.map(essentials));
    await expectDigestMatchesFleet(store);
    store.requests.reset();
    await store.listClusterDigests();
    expect(store.requests.total).toBe(1);
    // A later save joins the built digest like any other.
    await store.saveClusterScan(threePools(clusterRef('aks-old-0'), day(3), ['3.2.4']), { runId: 'r3', scanId: 'n0' }, classify);
    await expectDigestMatchesFleet(store);
  });

  it('reads a page whole by key range: one query for keys with no other key between them, the page order kept', async () => {
    const store = await az.store();
    for (let i = 0; i < 8; i++) await store.saveClusterScan(threePools(clusterRef(`aks-${i}`), day(1)), { runId: 'r', scanId: `s${i}` }, classify);
    const keys = (await store.listClusterDigests()).map((d) => d.key);
    store.requests.reset();
    const run = await store.getClusterSummaries([keys[3], keys[2], keys[4]] as string[], keys);
    expect(run.map((s) => s.name)).toEqual(['aks-3', 'aks-2', 'aks-4']);
    expect(store.requests.total).toBe(1);
    store.requests.reset();
    const apart = await store.getClusterSummaries([keys[0], keys[5], keys[6], 'no-such-key'] as string[], keys);
    expect(apart.map((s) => s.name)).toEqual(['aks-0', 'aks-5', 'aks-6']);
    // aks-0 alone, aks-5..6 as a range, and the unknown key alone.
    expect(store.requests.total).toBe(3);
  });
});
