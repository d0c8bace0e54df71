import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useAzurite } from '../support/azurite.js';
import { classify, clusterRef, node, scanned, skipped, threePools } from './fixtures.js';

const az = useAzurite();

describe('saveClusterScan and reads (Azurite)', () => {
  it('stores a scan whose summary, details and node results read back', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-prod-1');
    const scan = threePools(ref);
    await store.saveClusterScan(scan, { runId: 'run-1', scanId: 'scan-1' }, classify);

    const [summary, ...rest] = await store.listClusterSummaries();
    expect(rest).toEqual([]);
    expect(summary?.clusterId).toBe(ref.id);
    expect(summary?.outcome).toBe('scanned');
    expect(summary?.results?.totals).toEqual({ pass: 18, fail: 9, warn: 0, info: 0 });
    expect(summary?.results?.pools).toEqual(['system', 'user1', 'user2']);
    // Three distinct failing checks: one per disposition the classifier gave.
    expect(summary?.results?.triage).toEqual({ action: 1, 'check-quirk': 1, platform: 1 });
    expect(summary?.results?.failingTopics).toEqual(['kubelet-event-qps', 'kubelet-read-only-port', 'kubelet-serving-cert-rotation']);
    expect(summary?.results?.failingChecks).toEqual(['aks-1.8:3.2.4', 'aks-1.8:3.2.7', 'aks-1.8:3.2.9']);

    const latest = await store.getClusterLatest(ref.id.toUpperCase());
    expect(latest?.scanId).toBe('scan-1');
    expect(latest?.nodeList.map((n) => n.name)).toEqual(scan.outcome.kind === 'scanned' ? scan.outcome.nodes.map((n) => n.name) : []);
    const c324 = latest?.checks.filter((c) => c.id === '3.2.4');
    expect(c324?.map((c) => [c.pool, c.status, c.disposition, c.failingNodes.length])).toEqual([
      ['system', 'FAIL', 'action', 1],
      ['user1', 'FAIL', 'action', 1],
      ['user2', 'FAIL', 'action', 1],
    ]);

    const original = scan.outcome.kind === 'scanned' ? scan.outcome.nodes[1] : undefined;
    expect(await store.getNodeResult(ref.id, 'scan-1', original?.name ?? '')).toEqual(original);
    expect(await store.getNodeResult(ref.id, 'scan-1', 'no-such-node')).toBeNull();
    expect(await store.getClusterScan(ref.id, 'no-such-scan')).toBeNull();
  });

  it('saving the same scan three times leaves the same entities and summary', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-idem');
    const scan = threePools(ref);
    const snapshot = async (): Promise<unknown> => ({
      summaries: await store.listClusterSummaries(),
      scan: await store.getClusterScan(ref.id, 's1'),
      history: await store.getClusterHistory(ref.id, 10),
      tables: await dumpTables(store.tables),
    });
    await store.saveClusterScan(scan, { runId: 'r1', scanId: 's1' }, classify);
    const first = await snapshot();
    await store.saveClusterScan(scan, { runId: 'r1', scanId: 's1' }, classify);
    await store.saveClusterScan(scan, { runId: 'r1', scanId: 's1' }, classify);
    expect(await snapshot()).toEqual(first);
    expect((await store.getClusterHistory(ref.id, 10)).length).toBe(1);
  });

  it('keeps history: the earlier scan by id, newest first; a late older save does not move the pointer back', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-hist');
    await store.saveClusterScan(threePools(ref, '2026-11-01T00:00:00.000Z', ['3.2.4', '3.2.7']), { runId: 'r1', scanId: 'a' }, classify);
    await store.saveClusterScan(threePools(ref, '2026-11-02T00:00:00.000Z', ['3.2.7']), { runId: 'r2', scanId: 'b' }, classify);
    // A redelivered message of the first run, processed after the second: history only.
    await store.saveClusterScan(threePools(ref, '2026-11-01T00:00:00.000Z', ['3.2.4', '3.2.7']), { runId: 'r1', scanId: 'a' }, classify);

    const history = await store.getClusterHistory(ref.id, 10);
    expect(history.map((h) => h.scanId)).toEqual(['b', 'a']);
    expect(history.map((h) => h.totals.fail)).toEqual([3, 6]);
    expect((await store.getClusterHistory(ref.id, 1)).map((h) => h.scanId)).toEqual(['b']);
    expect((await store.getClusterScan(ref.id, 'a'))?.totals.fail).toBe(6);
    expect((await store.getClusterLatest(ref.id))?.scanId).toBe('b');
    const [summary] = await store.listClusterSummaries();
    expect(summary?.results?.failingChecks).toEqual(['aks-1.8:3.2.7']);
  });

  it('a skipped attempt becomes the latest outcome but keeps the last scanned results', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-stopped');
    await store.saveClusterScan(threePools(ref, '2026-11-01T00:00:00.000Z'), { runId: 'r1', scanId: 's1' }, classify);
    await store.saveClusterScan(skipped(ref, '2026-11-02T00:00:00.000Z'), { runId: 'r2', scanId: 's2' }, classify);
    const [summary] = await store.listClusterSummaries();
    expect([summary?.outcome, summary?.reason, summary?.scanId]).toEqual(['skipped', 'stopped', 's2']);
    expect(summary?.results?.scanId).toBe('s1');
    expect((await store.listClustersFailing({ topic: 'kubelet-read-only-port' })).map((s) => s.name)).toEqual(['aks-stopped']);
    const latest = await store.getClusterLatest(ref.id);
    expect(latest?.outcome).toEqual({ kind: 'skipped', reason: 'stopped', detail: 'powerState is Stopped' });
  });

  it('answers "which clusters fail this topic" from its aggregate partition, and "this check" from the fleet partition', async () => {
    const store = await az.store();
    await store.saveClusterScan(threePools(clusterRef('c1'), undefined, ['3.2.4']), { runId: 'r', scanId: 's' }, classify);
    await store.saveClusterScan(threePools(clusterRef('c2'), undefined, ['3.2.7']), { runId: 'r', scanId: 's' }, classify);
    await store.saveClusterScan(threePools(clusterRef('c3'), undefined, ['3.2.4', '3.2.5']), { runId: 'r', scanId: 's' }, classify);
    store.requests.reset();
    const byTopic = await store.listClustersFailing({ topic: 'kubelet-read-only-port' });
    expect(byTopic.map((s) => s.name).sort()).toEqual(['c1', 'c3']);
    // One query of the topic's partition, then a point read of each listed cluster's entity.
    expect(store.requests.byKind).toEqual({ [`GET ${store.tables.clusters}`]: 3 });
    store.requests.reset();
    // 3.2.5 has no topic in the classifier: found by its check id.
    expect((await store.listClustersFailing({ check: 'aks-1.8:3.2.5' })).map((s) => s.name)).toEqual(['c3']);
    expect(store.requests.total).toBe(1);
  });

  it('filters the summary by subscription, resource group (any case) and benchmark', async () => {
    const store = await az.store();
    await store.saveClusterScan(threePools(clusterRef('a', 'SUB-A', 'RG-One')), { runId: 'r', scanId: 's' }, classify);
    await store.saveClusterScan(threePools(clusterRef('b', 'sub-b', 'rg-two')), { runId: 'r', scanId: 's' }, classify);
    expect((await store.listClusterSummaries({ subscriptionId: 'sub-a' })).map((s) => s.name)).toEqual(['a']);
    expect((await store.listClusterSummaries({ resourceGroup: 'RG-TWO' })).map((s) => s.name)).toEqual(['b']);
    expect((await store.listClusterSummaries({ benchmark: 'aks-1.8' })).length).toBe(2);
    expect((await store.listClusterSummaries({ benchmark: 'aks-1.7' })).length).toBe(0);
  });

  it('OData injection in filter values never widens the result', async () => {
    const store = await az.store();
    await store.saveClusterScan(threePools(clusterRef('a', 'sub-a')), { runId: 'r', scanId: 's' }, classify);
    await store.saveClusterScan(threePools(clusterRef('b', 'sub-b')), { runId: 'r', scanId: 's' }, classify);
    const attacks = [
      "' or PartitionKey ne '",
      "sub-a' or '1' eq '1",
      "x' or true or 'x' eq '",
      "sub-a') or (PartitionKey ne '",
      "' or subscriptionIdLc ne 'zzz",
      "sub-a'",
      "''",
      '%27 or PartitionKey ne %27',
    ];
    for (const a of attacks) {
      expect(await store.listClusterSummaries({ subscriptionId: a }), a).toEqual([]);
      expect(await store.listClusterSummaries({ resourceGroup: a }), a).toEqual([]);
      expect(await store.listClusterSummaries({ benchmark: a }), a).toEqual([]);
      expect(await store.listClusterSummaries({ subscriptionId: 'sub-a', benchmark: a }), a).toEqual([]);
    }
    // The honest filter still works, so the empty results above are not a broken query.
    expect((await store.listClusterSummaries({ subscriptionId: 'sub-a' })).length).toBe(1);
  });

  it('stores a node result larger than one entity across several', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-big');
    const big = node('aks-big-0', 'system');
    // Incompressible actual values: about 1.4 MB of text that gzip cannot shrink below one entity's 768 KB.
    const rnd = (): string => randomBytes(1536).toString('base64');
    const extra = Array.from({ length: 700 }, (_, i) => ({ ...big.checks[0]!, id: `9.${i}`, actual: rnd() }));
    big.checks = [...big.checks, ...extra];
    await store.saveClusterScan(scanned(ref, [big]), { runId: 'r', scanId: 's' }, classify);
    const rows = await listAll(store.tables.nodes);
    expect(rows.length).toBeGreaterThan(1);
    expect(await store.getNodeResult(ref.id, 's', 'aks-big-0')).toEqual(big);
  });

  it('concurrent saves of one cluster leave the pointer on the newest scan', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-race');
    const days = [3, 1, 5, 2, 4];
    // Separate stores, as separate worker instances would be; all race for the same fleet entity.
    await Promise.all(
      days.map((d) =>
        az
          .sameTables(store)
          .saveClusterScan(threePools(ref, `2026-11-0${d}T00:00:00.000Z`, d === 5 ? ['3.2.1'] : ['3.2.4']), { runId: `r${d}`, scanId: `s${d}` }, classify),
      ),
    );
    const [summary, ...rest] = await store.listClusterSummaries();
    expect(rest).toEqual([]);
    expect([summary?.scanId, summary?.results?.scanId, summary?.results?.failingChecks]).toEqual(['s5', 's5', ['aks-1.8:3.2.1']]);
    expect((await store.getClusterHistory(ref.id, 10)).map((h) => h.scanId)).toEqual(['s5', 's4', 's3', 's2', 's1']);
  });

  it('keeps scan details larger than the header in the Nodes table', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-many-checks');
    const n = node('aks-x-0', 'system');
    // Random titles make the rolled-up check list incompressible: about 1.6 MB of JSON, more than the header's 512 KB of chunks.
    n.checks = Array.from({ length: 4000 }, (_, i) => ({ ...n.checks[0]!, id: `9.${i}`, title: randomBytes(300).toString('base64') }));
    await store.saveClusterScan(scanned(ref, [n]), { runId: 'r', scanId: 's' }, classify);
    const rows = await listAll(store.tables.nodes);
    expect(rows.filter((r) => String(r['rowKey']).startsWith('~details~')).length).toBeGreaterThan(0);
    const stored = await store.getClusterScan(ref.id, 's');
    expect(stored?.checks.length).toBe(4000);
    expect(stored?.checks.map((c) => c.title)).toEqual(n.checks.map((c) => c.title));
    expect(await store.getNodeResult(ref.id, 's', 'aks-x-0')).toEqual(n);
  });

  it('rejects bad input with an error naming it, before writing anything', async () => {
    const store = await az.store();
    const ref = clusterRef('aks-bad');
    await expect(store.saveClusterScan({ ...threePools(ref), startedAt: 'yesterday' }, { runId: 'r', scanId: 's' }, classify)).rejects.toThrow(
      /startedAt.*yesterday/,
    );
    await expect(store.saveClusterScan(threePools(ref), { runId: 'r', scanId: '' }, classify)).rejects.toThrow(/scan id/);
    const boom = (): never => {
      throw new Error('kb offline');
    };
    await expect(store.saveClusterScan(threePools(ref), { runId: 'r', scanId: 's' }, boom)).rejects.toThrow(/classifier failed on check aks-1.8:3.2.1/);
    // Only what ensureTables wrote: the new fleet's digest marked complete.
    expect(await dumpTables(store.tables)).toEqual({
      clusters: [expect.objectContaining({ partitionKey: 'd', rowKey: 'meta' })],
      scans: [],
      nodes: [],
      runs: [],
    });
  });

  // Helpers read the tables with a plain client, as an operator would.
  async function listAll(table: string): Promise<Record<string, unknown>[]> {
    const { TableClient } = await import('@azure/data-tables');
    const c = TableClient.fromConnectionString(az.instance.connectionString, table, { allowInsecureConnection: true });
    const out: Record<string, unknown>[] = [];
    for await (const e of c.listEntities<Record<string, unknown>>()) {
      const { etag: _e, timestamp: _t, ...rest } = e;
      out.push(rest);
    }
    return out;
  }
  async function dumpTables(t: { clusters: string; scans: string; nodes: string; runs: string }): Promise<Record<string, unknown[]>> {
    return { clusters: await listAll(t.clusters), scans: await listAll(t.scans), nodes: await listAll(t.nodes), runs: await listAll(t.runs) };
  }
});
