import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, threePools } from './fixtures.js';

const az = useAzurite();

describe('scan runs (Azurite)', () => {
  it('counts progress from concurrent, redelivered reports exactly once per cluster', async () => {
    const store = await az.store();
    await store.startRun({ runId: 'run-1', trigger: 'timer', startedAt: '2026-11-20T00:00:00Z', queued: 30 });
    const outcomes = ['scanned', 'skipped', 'failed'] as const;
    const reports = Array.from({ length: 24 }, (_, i) => ({ id: clusterRef(`c${i}`).id, outcome: outcomes[i % 3]! }));
    // Every message delivered twice, all at once, as competing workers would.
    await Promise.all([...reports, ...reports].map((r) => store.recordClusterDone('run-1', r.id, r.outcome)));
    const run = await store.getRun('run-1');
    expect(run).toMatchObject({ runId: 'run-1', trigger: 'timer', queued: 30, done: 24, scanned: 8, skipped: 8, failed: 8, pending: 6, complete: false });
    expect(run?.lastReportAt).not.toBeNull();

    // A cluster that failed and then succeeded on redelivery counts once, with its last outcome.
    await store.recordClusterDone('run-1', reports[2]!.id, 'scanned');
    for (let i = 24; i < 30; i++) await store.recordClusterDone('run-1', clusterRef(`c${i}`).id, 'scanned');
    expect(await store.getRun('run-1')).toMatchObject({ done: 30, scanned: 15, failed: 7, pending: 0, complete: true });
  });

  it('lists runs newest first and returns null for an unknown run', async () => {
    const store = await az.store();
    await store.startRun({ runId: 'b', trigger: 'timer', startedAt: '2026-11-02T00:00:00Z', queued: 1 });
    await store.startRun({ runId: 'a', trigger: 'http', startedAt: '2026-11-03T00:00:00Z', queued: 2 });
    await store.startRun({ runId: 'c', trigger: 'cli', startedAt: '2026-11-01T00:00:00Z', queued: 3 });
    await store.startRun({ runId: 'a', trigger: 'http', startedAt: '2026-11-03T00:00:00Z', queued: 2 }); // timer retried
    expect((await store.listRuns(10)).map((r) => r.runId)).toEqual(['a', 'b', 'c']);
    expect((await store.listRuns(2)).map((r) => [r.runId, r.trigger, r.queued])).toEqual([
      ['a', 'http', 2],
      ['b', 'timer', 1],
    ]);
    expect(await store.getRun('zzz')).toBeNull();
    await expect(store.startRun({ runId: 'x', trigger: 'timer', startedAt: 'soon', queued: 1 })).rejects.toThrow(/run startedAt/);
    await expect(store.listRuns(0)).rejects.toThrow(/run list limit/);
  });
});

describe('pruneHistory (Azurite)', () => {
  it('deletes scans and runs older than the retention, never a cluster latest scan', async () => {
    const store = await az.store();
    const a = clusterRef('aks-a');
    const b = clusterRef('aks-b');
    const day = (d: number): string => new Date(Date.UTC(2026, 7, 1 + d)).toISOString();
    // aks-a: scans on days 0, 10, 100; aks-b: one scan on day 0 only, so old but its latest.
    for (const d of [0, 10, 100]) {
      await store.startRun({ runId: `run-${d}`, trigger: 'timer', startedAt: day(d), queued: 2 });
      await store.saveClusterScan(threePools(a, day(d)), { runId: `run-${d}`, scanId: `a-${d}` }, classify);
      await store.recordClusterDone(`run-${d}`, a.id, 'scanned');
    }
    await store.saveClusterScan(threePools(b, day(0)), { runId: 'run-0', scanId: 'b-0' }, classify);
    await store.recordClusterDone('run-0', b.id, 'scanned');
    // The trend's per-run summary rows: the old runs' go with them, the kept run's stays.
    for (const d of [0, 100]) {
      const scans = [{ clusterId: a.id, scanId: `a-${d}`, startedAt: day(d), fail: 1, triage: { yours: 1 } }];
      expect(await store.saveRunRollup({ runId: `run-${d}`, scans })).toBe(true);
    }

    const now = new Date(Date.parse(day(100)) + 3_600_000);
    const result = await store.pruneHistory(now, 90);
    expect(result.deleted).toBe(2);
    expect(result.runsDeleted).toBe(2);
    // Each scan: 3 node entities and its header; each run: header, index and its cluster rows; run-0's rollup.
    expect(result.entitiesDeleted).toBe(2 * 4 + (1 + 1 + 2) + (1 + 1 + 1) + 1);
    expect(await store.getRunRollup('run-0')).toBeNull();
    expect((await store.getRunRollup('run-100'))?.scans.map((x) => x.scanId)).toEqual(['a-100']);

    expect((await store.getClusterHistory(a.id, 10)).map((h) => h.scanId)).toEqual(['a-100']);
    expect(await store.getClusterScan(a.id, 'a-0')).toBeNull();
    expect(await store.getNodeResult(a.id, 'a-10', 'aks-system-10000-vmss000000')).toBeNull();
    expect((await store.getClusterLatest(b.id))?.scanId).toBe('b-0');
    expect(await store.getNodeResult(b.id, 'b-0', 'aks-system-10000-vmss000000')).not.toBeNull();
    expect((await store.listRuns(10)).map((r) => r.runId)).toEqual(['run-100']);
    expect((await store.listClusterSummaries()).length).toBe(2);

    // Running it again finds nothing more to do.
    expect(await store.pruneHistory(now, 90)).toEqual({ deleted: 0, runsDeleted: 0, entitiesDeleted: 0 });
    await expect(store.pruneHistory(now, 0)).rejects.toThrow(/retention days/);
  });
});
