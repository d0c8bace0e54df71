import { describe, expect, it } from 'vitest';
import type { ClusterScan } from '../../src/model/cluster.js';
import { cluster } from '../fixtures/clusters.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();

describe('cluster tags on the per-cluster entity', () => {
  it('are kept with the latest attempt, so the API can filter by tag without another read', async () => {
    const store = await az.store();
    const at = new Date('2026-11-26T02:00:00Z').toISOString();
    const scan: ClusterScan = {
      cluster: cluster({ tags: { env: 'prod', team: 'payments' } }),
      benchmark: 'aks-1.8',
      outcome: { kind: 'skipped', reason: 'stopped', detail: 'stopped' },
      startedAt: at,
      finishedAt: at,
    };
    await store.saveClusterScan(scan, { runId: 'r1', scanId: 's1' }, () => null);
    const [s] = await store.listClusterSummaries();
    expect(s?.tags).toEqual({ env: 'prod', team: 'payments' });
  });
});
