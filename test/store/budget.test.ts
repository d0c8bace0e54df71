import { describe, expect, it } from 'vitest';
import { MAX_BATCH_ENTITIES } from '../../src/store/batch.js';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, node, scanned, threePools } from './fixtures.js';

const az = useAzurite();

describe('request budget and batching (Azurite)', () => {
  it('stores one scanned cluster with three pools, one node each, in 8 requests plus one per failing topic, then 7 while its failures stay the same', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-budget');
    // The worker's whole job for one message: store the scan, then report it done in the run.
    await store.saveClusterScan(threePools(ref), { runId: 'run-b', scanId: 'scan-b' }, classify);
    await store.recordClusterDone('run-b', ref.id, 'scanned');
    const first = { total: store.requests.total, byKind: { ...store.requests.byKind } };
    console.log(`store.table_requests_per_cluster (new cluster): ${first.total}`, first.byKind);
    // A new cluster's three failing topics each get their row in the topic aggregate, then aggDirty is cleared (a MERGE).
    // The fleet digest's shard is read and written (created here: the fleet's first cluster).
    expect(first.total).toBe(8 + 3);
    expect(first.byKind).toEqual({
      [`POST $batch`]: 1,
      [`PUT ${store.tables.scans}`]: 1,
      [`GET ${store.tables.clusters}`]: 2,
      [`POST ${store.tables.clusters}`]: 2,
      [`PUT ${store.tables.clusters}`]: 3,
      [`PATCH ${store.tables.clusters}`]: 1,
      [`PUT ${store.tables.runs}`]: 1,
    });

    // A later scan of a cluster already in the fleet: the pointer is an ETag-guarded update instead of a create.
    store.requests.reset();
    await store.saveClusterScan(threePools(ref, '2026-11-21T10:00:00.000Z'), { runId: 'run-c', scanId: 'scan-c' }, classify);
    await store.recordClusterDone('run-c', ref.id, 'scanned');
    console.log(`store.table_requests_per_cluster (known cluster): ${store.requests.total}`, store.requests.byKind);
    // The same failures as before: no topic row changes, so the aggregate costs nothing; the digest's shard is read and replaced.
    expect(store.requests.total).toBe(7);
    expect(store.requests.byKind[`PUT ${store.tables.clusters}`]).toBe(2);
    expect((await store.getClusterLatest(ref.id))?.scanId).toBe('scan-c');
  });

  it('splits node results of more than 100 entities into several transactions', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-wide');
    const nodes = Array.from({ length: 250 }, (_, i) => node(`aks-np${i % 5}-vmss${i.toString().padStart(6, '0')}`, `np${i % 5}`));
    await store.saveClusterScan(scanned(ref, nodes), { runId: 'r', scanId: 's' }, classify);
    expect(store.requests.byKind['POST $batch']).toBe(Math.ceil(250 / MAX_BATCH_ENTITIES));
    const stored = await store.getClusterScan(ref.id, 's');
    expect(stored?.nodeList.length).toBe(250);
    for (const i of [0, 99, 100, 199, 200, 249]) {
      expect(await store.getNodeResult(ref.id, 's', nodes[i]!.name)).toEqual(nodes[i]);
    }
  });

  it('Azurite, like Azure, refuses a transaction of 101 entities (so the split is needed)', async () => {
    const store = await az.store();
    const { TableClient } = await import('@azure/data-tables');
    const c = TableClient.fromConnectionString(az.instance.connectionString, store.tables.nodes, { allowInsecureConnection: true });
    const actions = Array.from(
      { length: MAX_BATCH_ENTITIES + 1 },
      (_, i) => ['upsert', { partitionKey: 'p', rowKey: `r${i}` }] as ['upsert', { partitionKey: string; rowKey: string }],
    );
    await expect(c.submitTransaction(actions)).rejects.toThrow();
  });
});
