/**
 * The Functions handlers in @azure/functions test mode, over the real queue and tables (Azurite)
 * and the HTTPS ARM simulator: timer → queue → worker → tables, redelivery, crashes mid-write,
 * poison messages, and the HTTP entry point.
 */
import azf from '@azure/functions';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiHandler } from '../../functions/api.js';
import { scanClusterHandler } from '../../functions/scanCluster.js';
import { scanQueueOutput, scheduledScan } from '../../functions/scheduledScan.js';
import { LocalQueueHost } from '../../src/cli/host/queue-host.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import type { ScanMessage } from '../../src/pipeline/message.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { createRuntime, setSharedRuntime } from '../../src/runtime/runtime.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { defaultDemoFleet, startArmSimulator } from '../../src/simulator/index.js';
import type { Store } from '../../src/store/index.js';
import { failAfterWrites } from '../store/faults.js';
import { useAzurite } from '../support/azurite.js';

const { HttpRequest, InvocationContext } = azf;
const az = useAzurite();
let sim: RunningSimulator;

const ctx = (name: string, meta: Record<string, unknown> = {}) => new InvocationContext({ invocationId: `t-${Math.random()}`, functionName: name, triggerMetadata: meta });
const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

async function runtimeWith(store: Store): Promise<Runtime> {
  const rt = await createRuntime(
    { AzureWebJobsStorage: az.instance.connectionString },
    { credential: simulatorCredential(), armEndpoint: sim.endpoint, armCa: sim.ca, store, storage: az.target(), timing: { firstPollDelayMs: 30, pollIntervalMs: 30 }, log: () => undefined },
  );
  setSharedRuntime(rt);
  return rt;
}

async function plannedMessages(): Promise<ScanMessage[]> {
  const c = ctx('scheduledScan');
  await scheduledScan(timer, c);
  return c.extraOutputs.get(scanQueueOutput) as ScanMessage[];
}

beforeAll(async () => {
  sim = await startArmSimulator({ fleet: defaultDemoFleet({ clusters: 8, seed: 3 }), seed: 3, commandDurationMs: 30, retryAfterSeconds: 0 });
});
afterAll(async () => {
  setSharedRuntime(undefined);
  await sim?.stop();
});

describe('timer → queue → worker', () => {
  let store: Store;
  let rt: Runtime;
  beforeEach(async () => {
    store = await az.store();
    rt = await runtimeWith(store);
  });

  it('the timer records a run and outputs one message per discovered cluster', async () => {
    const messages = await plannedMessages();
    expect(messages).toHaveLength(8);
    expect(new Set(messages.map((m) => m.cluster.id)).size).toBe(8);
    const runs = await store.listRuns(5);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ runId: messages[0]!.runId, queued: 8, done: 0, trigger: 'timer' });
  });

  it('the same message processed three times leaves one result', async () => {
    const [msg] = (await plannedMessages()).filter((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled);
    await scanClusterHandler(msg, ctx('scanCluster'));
    // A redelivery scans again, so only the times may differ.
    const timeless = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'startedAt' || k === 'finishedAt' || k === 'lastReportAt' ? undefined : x)));
    const once = { summaries: await store.listClusterSummaries(), latest: await store.getClusterLatest(msg!.cluster.id), run: await store.getRun(msg!.runId) };
    await scanClusterHandler(msg, ctx('scanCluster'));
    await scanClusterHandler(JSON.stringify(msg), ctx('scanCluster'));
    expect(timeless(await store.listClusterSummaries())).toEqual(timeless(once.summaries));
    expect(timeless(await store.getClusterLatest(msg!.cluster.id))).toEqual(timeless(once.latest));
    expect(once.summaries).toHaveLength(1);
    const latest = await store.getClusterLatest(msg!.cluster.id);
    expect(latest?.scanId).toBe(once.latest?.scanId);
    expect(latest?.totals).toEqual(once.latest?.totals);
    expect(await store.getClusterHistory(msg!.cluster.id, 10)).toHaveLength(1);
    expect((await store.getRun(msg!.runId))?.done).toBe(1);
    expect(once.run?.done).toBe(1);
  });

  it('a worker that dies after N writes, then redelivery: consistent state, never a half-written cluster', async () => {
    const messages = (await plannedMessages()).filter((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled);
    const msg = messages[1]!;
    // A first complete scan of the cluster under another run, so there is an old state to protect.
    const older = { ...messages[1]!, runId: messages[0]!.runId, scanId: `${messages[1]!.scanId}-old` };
    await scanClusterHandler(older, ctx('scanCluster'));
    const before = await store.listClusterSummaries();
    for (const n of [0, 1, 2]) {
      const crashing = az.sameTables(store, { policies: [failAfterWrites(n)] });
      setSharedRuntime({ ...rt, store: crashing, deps: { ...rt.deps, store: crashing } });
      await expect(scanClusterHandler(msg, ctx('scanCluster'))).rejects.toThrow();
      // The summary still shows the older, complete scan: the pointer moves last.
      const during = await store.listClusterSummaries();
      expect(during.map((s) => [s.clusterId, s.scanId])).toEqual(before.map((s) => [s.clusterId, s.scanId]));
    }
    setSharedRuntime(rt);
    await scanClusterHandler(msg, ctx('scanCluster'));
    const after = await store.listClusterSummaries();
    expect(after).toHaveLength(1);
    expect(after[0]!.scanId).toBe(msg.scanId);
    const latest = await store.getClusterLatest(msg.cluster.id);
    expect(latest?.outcome.kind).toBe('scanned');
    expect(latest?.nodes).toBe(latest?.nodeList.length);
  });
});

describe('the local queue host, as the Functions host consumes the queue', () => {
  it('a message that keeps failing ends in the poison queue and is recorded as a failed outcome', async () => {
    const store = await az.store();
    // Every transaction fails: a scanned cluster (whose node results go in one) can never be stored.
    const batchesFail: PipelinePolicy = { name: 'batchesFail', sendRequest: (req, next) => (req.url.includes('$batch') ? Promise.reject(new Error('injected: storage transaction failed')) : next(req)) };
    const broken = az.sameTables(store, { policies: [batchesFail] });
    const rt = await runtimeWith(broken);
    const host = new LocalQueueHost(rt, { concurrency: 4, maxDequeueCount: 3, visibilityTimeoutSeconds: 0, log: () => undefined });
    await host.ensureQueues();
    await rt.queue().clearMessages();
    const queued = await host.fireTimer();
    const result = await host.drain();
    const summaries = await store.listClusterSummaries();
    expect(summaries).toHaveLength(queued);
    const poisoned = summaries.filter((s) => s.outcome === 'failed' && s.reason === 'poison-message');
    // Skipped clusters store no node results, so only the ones that scanned were poisoned.
    expect(poisoned.length).toBe(result.poisoned);
    expect(result.poisoned).toBeGreaterThan(0);
    expect(result.failedAttempts).toBe(result.poisoned * 3);
    expect(poisoned[0]!.detail).toMatch(/failed on every delivery/);
    const run = (await store.listRuns(1))[0]!;
    expect(run).toMatchObject({ queued, done: queued, complete: true });
  });
});

describe('the HTTP entry point', () => {
  it('answers health anonymously and the summary from the stored fleet', async () => {
    const store = await az.store();
    const rt = await runtimeWith(store);
    const host = new LocalQueueHost(rt, { concurrency: 4, maxDequeueCount: 3, visibilityTimeoutSeconds: 0, log: () => undefined });
    await host.ensureQueues();
    await rt.queue().clearMessages();
    await host.fireTimer();
    await host.drain();
    const health = await apiHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), ctx('health'));
    expect(health.status).toBe(200);
    const summary = await apiHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/summary' }), ctx('api'));
    expect(summary.status).toBe(200);
    const body = JSON.parse(String(summary.body));
    expect(body.clusters.total).toBe(8);
    expect(body.clusters.scanned + body.clusters.skipped + body.clusters.failed).toBe(8);
    const bad = await apiHandler(new HttpRequest({ method: 'GET', url: "http://localhost/api/summary?subscription=' or PartitionKey ne '" }), ctx('api'));
    expect(bad.status).toBe(400);
    const csv = await apiHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/clusters?format=csv' }), ctx('api'));
    expect(String(csv.body).trim().split('\n')).toHaveLength(9);
  });
});
