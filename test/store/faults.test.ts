import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { useAzurite } from '../support/azurite.js';
import { answerFirst, failAfterWrites, hang } from './faults.js';
import { classify, clusterRef, node, scanned, threePools } from './fixtures.js';

const az = useAzurite();
const ref = clusterRef('aks-faulty');
const OLD = threePools(ref, '2026-11-01T00:00:00.000Z', ['3.2.4']);
// 120 nodes: the node results take two transactions, so a failure can fall between them.
const NEW = scanned(
  ref,
  Array.from({ length: 120 }, (_, i) => node(`aks-pool${i % 3}-vmss${i.toString().padStart(6, '0')}`, `pool${i % 3}`, ['3.2.7', '3.2.9'])),
  '2026-11-02T00:00:00.000Z',
);

async function view(store: Store): Promise<unknown> {
  return {
    summaries: await store.listClusterSummaries(),
    latest: await store.getClusterLatest(ref.id),
    history: await store.getClusterHistory(ref.id, 10),
    newScan: await store.getClusterScan(ref.id, 'new'),
    node0: await store.getNodeResult(ref.id, 'new', 'aks-pool0-vmss000000'),
    node119: await store.getNodeResult(ref.id, 'new', 'aks-pool2-vmss000119'),
    topics: await failingByTopic(store),
    digest: await store.listClusterDigests(),
  };
}

const TOPICS = ['kubelet-read-only-port', 'kubelet-event-qps', 'kubelet-serving-cert-rotation'];
/** Per topic: the aggregate's rows, and what listClustersFailing answers (rows checked against the fleet entity). */
async function failingByTopic(store: Store): Promise<Record<string, { rows: string[]; answered: string[] }>> {
  const out: Record<string, { rows: string[]; answered: string[] }> = {};
  for (const t of TOPICS) {
    out[t] = {
      rows: (await store.listTopicFailures(t)).map((r) => r.name),
      answered: (await store.listClustersFailing({ topic: t })).map((s) => s.name),
    };
  }
  return out;
}

describe('a save interrupted after N writes, then retried', () => {
  it('shows the old scan until the pointer moves, and ends as if nothing had failed', async () => {
    // The reference: the same two saves without faults.
    const clean = await az.store();
    await clean.saveClusterScan(OLD, { runId: 'r1', scanId: 'old' }, classify);
    const before = await view(clean);
    clean.requests.reset();
    await clean.saveClusterScan(NEW, { runId: 'r2', scanId: 'new' }, classify);
    const writes = Object.entries(clean.requests.byKind)
      .filter(([k]) => !k.startsWith('GET'))
      .reduce((n, [, v]) => n + v, 0);
    // Two node transactions, the scan header, the pointer, the fleet digest's shard; then the topic
    // aggregate: one topic fixed (a delete), two new (upserts), and the entity's aggDirty cleared under its ETag.
    expect(writes).toBe(9);
    const after = await view(clean);
    expect((after as { topics: unknown }).topics).toEqual({
      'kubelet-read-only-port': { rows: [], answered: [] },
      'kubelet-event-qps': { rows: ['aks-faulty'], answered: ['aks-faulty'] },
      'kubelet-serving-cert-rotation': { rows: ['aks-faulty'], answered: ['aks-faulty'] },
    });

    for (let n = 0; n < writes; n++) {
      const base = await az.store();
      await base.saveClusterScan(OLD, { runId: 'r1', scanId: 'old' }, classify);
      const fault = failAfterWrites(n);
      const faulty = az.sameTables(base, { policies: [fault] });
      await expect(faulty.saveClusterScan(NEW, { runId: 'r2', scanId: 'new' }, classify), `fail after ${n}`).rejects.toThrow(/injected failure/);

      const [summary] = await base.listClusterSummaries();
      const answered = Object.fromEntries(Object.entries(await failingByTopic(base)).map(([t, v]) => [t, v.answered]));
      if (n >= 4) {
        // The pointer moved: the new scan is whole. The aggregate may lag, but an answer never contradicts the fleet entity.
        expect(summary?.scanId, `after ${n} writes`).toBe('new');
        // The digest follows the pointer, or still holds the old scan when the worker died in between.
        expect((await base.listClusterDigests())[0]?.scanId, `after ${n} writes`).toBe(n === 4 ? 'old' : 'new');
        expect(answered['kubelet-read-only-port'], `after ${n} writes`).toEqual([]);
        for (const t of TOPICS.slice(1)) expect(['aks-faulty'], `after ${n} writes`).toEqual(expect.arrayContaining(answered[t] ?? []));
      } else {
        // Readers still see the old scan as the cluster's latest, in the summary, by pointer and by topic.
        expect(summary?.scanId, `after ${n} writes`).toBe('old');
        expect(summary?.results?.failingChecks).toEqual(['aks-1.8:3.2.4']);
        expect((await base.getClusterLatest(ref.id))?.scanId).toBe('old');
        expect((await base.listClusterDigests())[0]?.scanId).toBe('old');
        expect(answered, `after ${n} writes`).toEqual({
          'kubelet-read-only-port': ['aks-faulty'],
          'kubelet-event-qps': [],
          'kubelet-serving-cert-rotation': [],
        });
        // The new scan is either absent or whole: its header is written only after all its node results.
        const partial = await base.getClusterScan(ref.id, 'new');
        if (partial) {
          expect(n).toBe(3);
          expect(partial.nodeList.length).toBe(120);
        } else expect((await base.getClusterHistory(ref.id, 10)).map((h) => h.scanId)).toEqual(['old']);
      }

      // The message is delivered again; this time the worker survives.
      await base.saveClusterScan(NEW, { runId: 'r2', scanId: 'new' }, classify);
      expect(await view(base), `retry after failing at write ${n + 1}`).toEqual(after);
    }
    expect(before).not.toEqual(after);
  });
});

describe('timeouts, throttling and error messages', () => {
  it('honours Retry-After on 429 and then succeeds', async () => {
    const base = await az.store();
    const throttle = answerFirst(1, 429, { 'retry-after': '1' });
    const store = az.sameTables(base, { policies: [throttle] });
    const t0 = Date.now();
    await store.saveClusterScan(threePools(ref), { runId: 'r', scanId: 's' }, classify);
    // A lower bound: load can only lengthen the wait.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(throttle.answered).toBe(1);
    expect((await base.getClusterLatest(ref.id))?.scanId).toBe('s');
  });

  it('gives up after the bounded retries with an error naming the table and operation', async () => {
    const base = await az.store();
    const busy = answerFirst(100, 503, { 'retry-after': '0' });
    const store = az.sameTables(base, { policies: [busy], retry: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 } });
    const err = await store.listClusterSummaries().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`list cluster summaries on table "${base.tables.clusters}"`);
    expect((err as Error).message).toContain('503');
    expect(busy.answered).toBe(3);
  });

  it('times out a call that never returns', async () => {
    const base = await az.store();
    // hang() answers only when the request is aborted, so the call ending at all is the timeout's doing.
    const store = az.sameTables(base, { policies: [hang()], timeoutMs: 200 });
    await expect(store.getClusterLatest(ref.id)).rejects.toThrow(new RegExp(`read cluster pointer on table "${base.tables.clusters}" failed \\(Timeout\\)`));
  });

  it('never puts the connection string or key in an error', async () => {
    const base = await az.store();
    const missing = az.sameTables(base, { tablePrefix: 'nosuch' });
    const err = (await missing.listClusterSummaries().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/list cluster summaries on table "nosuchClusters" failed \(404/);
    const key = /AccountKey=([^;]+)/.exec(az.instance.connectionString)?.[1] ?? 'unreachable';
    expect(JSON.stringify({ m: err.message, s: err.stack, ...err })).not.toContain(key);
  });
});
