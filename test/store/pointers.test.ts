/** The fleet entity's pointers: latest attempt, latest results, first attempt; and the benchmark filter on the results (Azurite). */
import { describe, expect, it } from 'vitest';
import type { ClusterRef, ClusterScan } from '../../src/model/cluster.js';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, skipped, threePools } from './fixtures.js';

const az = useAzurite();

function failed(ref: ClusterRef, startedAt: string, benchmark: string | null = 'aks-1.8'): ClusterScan {
  return { cluster: ref, benchmark, outcome: { kind: 'failed', reason: 'timeout', detail: 'run-command did not finish' }, startedAt, finishedAt: startedAt };
}

const day = (n: number): string => new Date(Date.UTC(2026, 10, n, 2)).toISOString();

describe('fleet entity pointers (Azurite)', () => {
  it('getClusterLatestResults reads the scan named by rScanId, whatever failed after it', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-failing');
    await store.saveClusterScan(threePools(ref, day(1)), { runId: 'r1', scanId: 's1' }, classify);
    for (let d = 2; d <= 4; d++) await store.saveClusterScan(failed(ref, day(d)), { runId: `r${d}`, scanId: `s${d}` }, classify);

    expect(await store.getClusterPointers(ref.id)).toEqual({ scanId: 's4', resultsScanId: 's1' });
    store.requests.reset();
    const results = await store.getClusterLatestResults(ref.id.toUpperCase());
    expect(results?.scanId).toBe('s1');
    expect(results?.outcome).toEqual({ kind: 'scanned' });
    expect(results?.nodeList).toHaveLength(3);
    // One pointer read and one scan header read: no history listing.
    expect(store.requests.byKind).toEqual({ [`GET ${store.tables.clusters}`]: 1, [`GET ${store.tables.scans}`]: 1 });
    expect((await store.getClusterLatest(ref.id))?.scanId).toBe('s4');
  });

  it('a cluster never scanned has no results pointer; an unknown cluster has no pointers', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-never');
    await store.saveClusterScan(failed(ref, day(2)), { runId: 'r', scanId: 'f1' }, classify);
    expect(await store.getClusterPointers(ref.id)).toEqual({ scanId: 'f1', resultsScanId: null });
    expect(await store.getClusterLatestResults(ref.id)).toBeNull();
    expect(await store.getClusterPointers(clusterRef('aks-nowhere').id)).toBeNull();
    expect(await store.getClusterLatestResults(clusterRef('aks-nowhere').id)).toBeNull();
  });

  it('firstAttemptAt is the earliest attempt seen, moved back by a late older attempt, unchanged by a redelivery', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-first');
    await store.saveClusterScan(failed(ref, day(5)), { runId: 'r5', scanId: 'f5' }, classify);
    await store.saveClusterScan(failed(ref, day(6)), { runId: 'r6', scanId: 'f6' }, classify);
    let [s] = await store.listClusterSummaries();
    expect([s?.firstAttemptAt, s?.scanId]).toEqual([day(5), 'f6']);
    // A message of an earlier run processed late: not the latest attempt, but the first one.
    await store.saveClusterScan(failed(ref, day(3)), { runId: 'r3', scanId: 'f3' }, classify);
    [s] = await store.listClusterSummaries();
    expect([s?.firstAttemptAt, s?.scanId, s?.startedAt]).toEqual([day(3), 'f6', day(6)]);
    await store.saveClusterScan(failed(ref, day(6)), { runId: 'r6', scanId: 'f6' }, classify);
    await store.saveClusterScan(threePools(ref, day(7)), { runId: 'r7', scanId: 's7' }, classify);
    [s] = await store.listClusterSummaries();
    expect([s?.firstAttemptAt, s?.scanId, s?.results?.scanId]).toEqual([day(3), 's7', 's7']);
  });

  it('an entity written before firstAttemptAt existed reports its latest attempt, and gets the field on its next write', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-legacy');
    await store.saveClusterScan(failed(ref, day(5)), { runId: 'r5', scanId: 'f5' }, classify);
    // Strip the field with a plain client, as the entity was before this version.
    const { TableClient } = await import('@azure/data-tables');
    const table = TableClient.fromConnectionString(az.instance.connectionString, store.tables.clusters, { allowInsecureConnection: true });
    for await (const e of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey eq 'fleet'" } })) {
      const { etag: _e, timestamp: _t, firstAttemptAt, ...rest } = e;
      expect(firstAttemptAt).toBe(day(5));
      await table.updateEntity({ ...rest, partitionKey: String(e.partitionKey), rowKey: String(e.rowKey) }, 'Replace');
    }
    expect((await store.listClusterSummaries())[0]?.firstAttemptAt).toBe(day(5));
    await store.saveClusterScan(failed(ref, day(6)), { runId: 'r6', scanId: 'f6' }, classify);
    expect((await store.listClusterSummaries())[0]?.firstAttemptAt).toBe(day(5));
  });

  it("the benchmark filter matches the results' benchmark, not the latest attempt's", async () => {
    const store = await az.store();
    const stopped = clusterRef('aks-stopped');
    await store.saveClusterScan(threePools(stopped, day(1)), { runId: 'r1', scanId: 's1' }, classify);
    await store.saveClusterScan(skipped(stopped, day(2)), { runId: 'r2', scanId: 's2' }, classify);
    // Chose a benchmark but never produced results: nothing to filter by.
    await store.saveClusterScan(failed(clusterRef('aks-never'), day(2), 'aks-1.8'), { runId: 'r2', scanId: 'f2' }, classify);
    const names = async (benchmark: string): Promise<string[]> => (await store.listClusterSummaries({ benchmark })).map((x) => x.name);
    expect(await names('aks-1.8')).toEqual(['aks-stopped']);
    expect(await names('')).toEqual([]);
    expect(await names('cis-1.10')).toEqual([]);
  });
});
