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
import { MAX_DEQUEUE_COUNT } from '../../src/pipeline/message.js';
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

const ctx = (name: string, meta: Record<string, unknown> = {}) =>
  new InvocationContext({ invocationId: `t-${Math.random()}`, functionName: name, triggerMetadata: meta });
const timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

async function runtimeWith(store: Store): Promise<Runtime> {
  const rt = await createRuntime(
    { AzureWebJobsStorage: az.instance.connectionString },
    {
      credential: simulatorCredential(),
      armEndpoint: sim.endpoint,
      armCa: sim.ca,
      store,
      storage: az.target(),
      timing: { firstPollDelayMs: 30, pollIntervalMs: 30 },
      log: () => undefined,
    },
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
  it('on its last delivery a failing message is recorded as a failed outcome with the error', async () => {
    const store = await az.store();
    // Every transaction fails: a scanned cluster (whose node results go in one) can never be stored.
    const batchesFail: PipelinePolicy = {
      name: 'batchesFail',
      sendRequest: (req, next) => (req.url.includes('$batch') ? Promise.reject(new Error('injected: storage transaction failed')) : next(req)),
    };
    const rt = await runtimeWith(az.sameTables(store, { policies: [batchesFail] }));
    const host = new LocalQueueHost(rt, { concurrency: 4, maxDequeueCount: MAX_DEQUEUE_COUNT, visibilityTimeoutSeconds: 0, log: () => undefined });
    await host.ensureQueues();
    await rt.queue().clearMessages();
    const queued = await host.fireTimer();
    const result = await host.drain();
    const summaries = await store.listClusterSummaries();
    expect(summaries).toHaveLength(queued);
    const failed = summaries.filter((s) => s.outcome === 'failed' && s.reason === 'internal');
    expect(failed.length).toBeGreaterThan(0);
    // Skipped clusters store no node results; the ones that scanned failed on every delivery.
    expect(result.failedAttempts).toBe(failed.length * (MAX_DEQUEUE_COUNT - 1));
    expect(result.poisoned).toBe(0);
    expect(failed[0]!.detail).toMatch(/failed on all 3 deliveries; last error: .*injected: storage transaction failed/);
    const run = (await store.listRuns(1))[0]!;
    expect(run).toMatchObject({ queued, done: queued, complete: true });
  });

  it('a message whose failure cannot even be recorded goes to the poison queue and is recorded from there', async () => {
    const store = await az.store();
    let storageDown = true;
    const writesFail: PipelinePolicy = {
      name: 'writesFail',
      sendRequest: (req, next) => (storageDown && req.method !== 'GET' ? Promise.reject(new Error('injected: storage down')) : next(req)),
    };
    const rt = await runtimeWith(az.sameTables(store, { policies: [writesFail] }));
    const host = new LocalQueueHost(rt, { concurrency: 4, maxDequeueCount: MAX_DEQUEUE_COUNT, visibilityTimeoutSeconds: 0, log: () => undefined });
    await host.ensureQueues();
    await rt.queue().clearMessages();
    await rt.queue('scan-cluster-poison').clearMessages();
    const c = ctx('scheduledScan');
    storageDown = false;
    await scheduledScan(timer, c);
    const messages = c.extraOutputs.get(scanQueueOutput) as ScanMessage[];
    storageDown = true;
    for (const m of messages.slice(0, 2)) await rt.queue().sendMessage(Buffer.from(JSON.stringify(m)).toString('base64'));
    const first = await host.drain();
    expect(first.poisoned).toBe(2);
    expect(first.poisonRecorded).toBe(0);
    storageDown = false;
    const second = await host.drain();
    expect(second.poisonRecorded).toBe(2);
    const summaries = await store.listClusterSummaries();
    expect(summaries.map((s) => [s.outcome, s.reason]).sort()).toEqual([
      ['failed', 'poison-message'],
      ['failed', 'poison-message'],
    ]);
    expect(summaries[0]!.scanId).toMatch(/-poison$/);
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

describe('the Function app on a fresh storage account', () => {
  it('creates its tables itself: the timer works with nothing created beforehand', async () => {
    const prefixless = await createRuntime(
      { AzureWebJobsStorage: az.instance.connectionString },
      {
        credential: simulatorCredential(),
        armEndpoint: sim.endpoint,
        armCa: sim.ca,
        tablePrefix: `fresh${Date.now().toString(36)}`,
        timing: { firstPollDelayMs: 30, pollIntervalMs: 30 },
        log: () => undefined,
      },
    );
    setSharedRuntime(prefixless);
    const messages = await plannedMessages();
    expect(messages).toHaveLength(8);
    expect((await prefixless.store.listRuns(1))[0]?.queued).toBe(8);
  });

  it('a failing prune does not lose the run: the messages still go out', async () => {
    const store = await az.store();
    // The store works, except pruning, which fails the way a storage outage would.
    const failingPrune = az.sameTables(store);
    failingPrune.pruneHistory = async () => {
      throw new Error('injected: storage failed while pruning');
    };
    const rt = await runtimeWith(failingPrune);
    const warnings: string[] = [];
    const c = new InvocationContext({
      invocationId: 'prune',
      functionName: 'scheduledScan',
      logHandler: (level, ...args) => level === 'warning' && warnings.push(args.join(' ')),
    });
    await scheduledScan({ ...timer, isPastDue: true }, c);
    expect((c.extraOutputs.get(scanQueueOutput) as unknown[]).length).toBe(8);
    expect(warnings.some((w) => /isPastDue/.test(w))).toBe(true);
    expect(warnings.some((w) => /pruning history failed; it is retried on the next run: .*injected/.test(w))).toBe(true);
    expect(rt.settings.RETENTION_DAYS).toBe(90);
  });

  it('host.json retries a message as often as the worker expects', async () => {
    const { readFileSync } = await import('node:fs');
    const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as {
      extensions: { queues: { maxDequeueCount: number } };
      functionTimeout: string;
    };
    expect(host.extensions.queues.maxDequeueCount).toBe(MAX_DEQUEUE_COUNT);
    // A scan may take up to 10 minutes; the host must let it.
    const [h, m] = host.functionTimeout.split(':').map(Number);
    expect(h! * 60 + m!).toBeGreaterThanOrEqual(10);
  });
});

describe('Teams alerts from the worker', () => {
  it('posts new FAILs once: not again for a redelivery, not again when nothing is new', async () => {
    const { createServer } = await import('node:http');
    const posts: { url: string; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', body });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    try {
      const store = await az.store();
      const rt = await runtimeWith(store);
      const logs: string[] = [];
      // No waivers, so the simulated drift (platform and quirk topics) counts as new.
      const deps = { ...rt.deps, log: (l: string) => logs.push(l), alerts: { webhookUrl: `http://127.0.0.1:${port}/workflows/x?sig=SECRET`, waivers: [] } };
      setSharedRuntime({ ...rt, deps });
      const messages = (await plannedMessages()).filter((m) => !m.cluster.runCommandDisabled && m.cluster.powerState !== 'Stopped');
      const { processScanMessage } = await import('../../src/pipeline/pipeline.js');
      let withFails = 0;
      for (const msg of messages) {
        const scan = await processScanMessage(msg, deps, rt.scanOptions);
        if (scan.outcome.kind === 'scanned' && scan.outcome.nodes.some((n) => n.checks.some((c) => c.status === 'FAIL'))) withFails++;
      }
      expect(withFails).toBeGreaterThan(0);
      // One card per cluster with FAILs on its first scan.
      expect(posts).toHaveLength(withFails);
      expect(JSON.parse(posts[0]!.body)).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }] });
      for (const msg of messages) {
        // Redelivery of the same message: stored already, no second post.
        await processScanMessage(msg, deps, rt.scanOptions);
        // A later scan with the same findings: nothing new, no post.
        await processScanMessage({ ...msg, scanId: `${msg.scanId}-next` }, deps, rt.scanOptions);
      }
      expect(posts).toHaveLength(withFails);
      expect(logs.join('\n')).not.toContain('SECRET');
      expect(logs.join('\n')).not.toContain('/workflows/');
    } finally {
      receiver.close();
    }
  });
});
