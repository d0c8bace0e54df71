/**
 * The Functions handlers in @azure/functions test mode, over the real queue and tables (Azurite)
 * and the HTTPS ARM simulator: timer → queue → worker → tables, redelivery, crashes mid-write,
 * poison messages, and the HTTP entry point.
 */
import azf from '@azure/functions';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiHandler } from '../../functions/api.js';
import { scanClusterHandler, scanClusterTrigger } from '../../functions/scanCluster.js';
import { scanClusterPoisonTrigger } from '../../functions/scanClusterPoison.js';
import { scheduledScan } from '../../functions/scheduledScan.js';
import { decodeQueueMessage, LocalQueueHost } from '../../src/cli/host/queue-host.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import type { ScanMessage } from '../../src/pipeline/message.js';
import { MAX_DEQUEUE_COUNT, POISON_QUEUE, SCAN_QUEUE, STORAGE_CONNECTION } from '../../src/pipeline/queues.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { createRuntime, setSharedRuntime, sharedRuntimeIfReady } from '../../src/runtime/runtime.js';
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

/** A step the worker threw on, with the message the host would deliver again. */
class StepFailed extends Error {
  constructor(
    readonly message0: unknown,
    override readonly cause: unknown,
  ) {
    super(`a scan step failed: ${String((cause as Error)?.message ?? cause)}`);
  }
}

/**
 * Delivers a message to the worker, then each follow-up step it sends to the real queue (waiting out
 * their visibility delays), as the host would, until the queue is empty: one cluster's whole scan.
 */
async function deliverChain(first: unknown, dequeueCount = 1): Promise<void> {
  const q = sharedRuntimeIfReady()!.queue();
  let next: { body: unknown; dequeueCount: number } | null = { body: first, dequeueCount };
  for (;;) {
    if (next) {
      const cur: { body: unknown; dequeueCount: number } = next;
      try {
        await scanClusterHandler(cur.body, ctx('scanCluster', { dequeueCount: cur.dequeueCount }));
      } catch (e) {
        throw new StepFailed(cur.body, e);
      }
    }
    next = null;
    const got = await q.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 60 });
    const item = got.receivedMessageItems[0];
    if (item) {
      await q.deleteMessage(item.messageId, item.popReceipt);
      next = { body: decodeQueueMessage(item.messageText).body, dequeueCount: item.dequeueCount };
      continue;
    }
    if (((await q.getProperties()).approximateMessagesCount ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the timer queued: taken off the queue (8 clusters in one subscription fit the burst, so none is delayed), leaving it empty. */
async function queuedMessages(): Promise<ScanMessage[]> {
  const q = sharedRuntimeIfReady()!.queue();
  const out: ScanMessage[] = [];
  for (;;) {
    const got = await q.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (got.receivedMessageItems.length === 0) return out;
    for (const item of got.receivedMessageItems) {
      out.push(decodeQueueMessage(item.messageText).body as ScanMessage);
      await q.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

async function plannedMessages(c = ctx('scheduledScan'), t = timer): Promise<ScanMessage[]> {
  const q = sharedRuntimeIfReady()!.queue();
  await q.createIfNotExists();
  await q.clearMessages();
  const { queued } = await scheduledScan(t, c);
  const messages = await queuedMessages();
  expect(messages).toHaveLength(queued);
  return messages;
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
  beforeEach(async () => {
    store = await az.store();
    await runtimeWith(store);
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
    await sharedRuntimeIfReady()!.queue().createIfNotExists();
    await sharedRuntimeIfReady()!.queue().clearMessages();
    const from = sim.requests.length;
    await deliverChain(msg);
    // A redelivery reuses the recorded command, so only the times may differ.
    const timeless = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'startedAt' || k === 'finishedAt' || k === 'lastReportAt' ? undefined : x)));
    const once = { summaries: await store.listClusterSummaries(), latest: await store.getClusterLatest(msg!.cluster.id), run: await store.getRun(msg!.runId) };
    await deliverChain(msg);
    await deliverChain(JSON.stringify(msg));
    // One run-command for the cluster however often its first message is delivered.
    expect(runCommandsSince(from).get(msg!.cluster.id.toLowerCase())).toBe(1);
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

  it('a redelivered first message whose follow-up was already sent is dropped, and so is a copy of the follow-up: one chain of polls', async () => {
    const [msg] = (await plannedMessages()).filter((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled);
    const q = sharedRuntimeIfReady()!.queue();
    const logs: string[] = [];
    const delivered = (meta: Record<string, unknown>) =>
      new InvocationContext({
        invocationId: `t-${Math.random()}`,
        functionName: 'scanCluster',
        triggerMetadata: meta,
        logHandler: (_l, ...a) => logs.push(a.join(' ')),
      });
    const armCalls = () => sim.requests.filter((r) => r.clusterId?.toLowerCase() === msg!.cluster.id.toLowerCase()).length;
    const queued = async () => (await q.getProperties()).approximateMessagesCount;
    await scanClusterHandler(msg, delivered({ dequeueCount: 1, id: 'first' }));
    expect(await queued()).toBe(1);
    const before = armCalls();
    // The host delivers the first message again (its lease ran out while the worker was slow).
    await scanClusterHandler(msg, delivered({ dequeueCount: 2, id: 'first' }));
    expect(armCalls()).toBe(before);
    expect(await queued()).toBe(1);
    expect(logs).toContainEqual(expect.stringMatching(/step 0 dropped, step 1 of scan .* was already sent/));
    // The follow-up, once visible; a copy of it under another message id is dropped too.
    let item;
    while (!(item = (await q.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 60 })).receivedMessageItems[0]))
      await new Promise((r) => setTimeout(r, 200));
    await q.deleteMessage(item.messageId, item.popReceipt);
    const followUp = decodeQueueMessage(item.messageText).body;
    await scanClusterHandler(followUp, delivered({ dequeueCount: 1, id: 'a-copy' }));
    expect(armCalls()).toBe(before);
    expect(logs.filter((l) => / dropped, /.test(l))).toHaveLength(2);
    await deliverChain(followUp);
    const [summary] = await store.listClusterSummaries();
    expect(summary).toMatchObject({ clusterId: msg!.cluster.id, outcome: 'scanned' });
    expect((await store.getRun(msg!.runId))?.done).toBe(1);
  });

  it('a cluster with the largest tags ARM allows (50 × 512-character names, 256-character values) ends scanned, once, tags whole', async () => {
    const [msg] = (await plannedMessages()).filter((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled);
    const tags: Record<string, string> = {};
    // Characters that neither compress nor escape cheaply: the worst case for the stored size.
    for (let i = 0; i < 50; i++) tags[`${i}`.padEnd(512, String.fromCodePoint(0x1f600 + i))] = String.fromCharCode(1 + (i % 30)).repeat(256);
    const hostile = { ...msg!, cluster: { ...msg!.cluster, tags } };
    await sharedRuntimeIfReady()!.queue().createIfNotExists();
    await sharedRuntimeIfReady()!.queue().clearMessages();
    await deliverChain(hostile);
    const [summary] = await store.listClusterSummaries();
    expect(summary).toMatchObject({ clusterId: msg!.cluster.id, outcome: 'scanned', scanId: msg!.scanId });
    expect(summary?.tags).toEqual(tags);
    expect((await store.getRun(msg!.runId))?.done).toBe(1);
  });
});

/** Run-commands the simulator received per cluster id (lower-cased) since `from`. */
function runCommandsSince(from: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of sim.requests.slice(from)) {
    if (r.operation !== 'ManagedClusters_RunCommand' || !r.clusterId) continue;
    const id = r.clusterId.toLowerCase();
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** Table Storage answering every node-results write with 400 PropertyValueTooLarge, as it does for a property over 64 KiB. */
function nodeResultsTooLarge(store: Store): PipelinePolicy {
  const body = {
    'odata.error': { code: 'PropertyValueTooLarge', message: { lang: 'en-US', value: 'The property value exceeds the maximum allowed size (64KB).' } },
  };
  return {
    name: 'nodeResultsTooLarge',
    sendRequest: async (req, next) =>
      req.method !== 'GET' && (req.url.includes('$batch') || req.url.includes(store.tables.nodes))
        ? {
            request: req,
            status: 400,
            headers: createHttpHeaders({ 'content-type': 'application/json', 'x-ms-error-code': 'PropertyValueTooLarge' }),
            bodyAsText: JSON.stringify(body),
          }
        : next(req),
  };
}

/** A scan's visible state: what the API and the alerts read. Times differ between deliveries (a redelivery scans again). */
async function stateOf(store: Store, msg: ScanMessage): Promise<unknown> {
  // Each case has its own tables, whose names an error detail may quote.
  const prefix = store.tables.nodes.replace(/Nodes$/, '');
  const timeless = (v: unknown) =>
    JSON.parse(
      JSON.stringify(v, (k, x) => (['startedAt', 'finishedAt', 'lastReportAt', 'firstAttemptAt'].includes(k) ? undefined : x)).replaceAll(prefix, 'TABLES'),
    );
  const latest = await store.getClusterLatest(msg.cluster.id);
  const nodes = await Promise.all((latest?.nodeList ?? []).map((n) => store.getNodeResult(msg.cluster.id, latest!.scanId, n.name)));
  return timeless({
    summaries: await store.listClusterSummaries(),
    latest,
    nodes,
    history: await store.getClusterHistory(msg.cluster.id, 10),
    run: await store.getRun(msg.runId),
  });
}

describe('a worker killed between any two storage writes of a scan', () => {
  it('at every write point, enumerated: readers see the old scan or the whole new one, and the redelivery ends as one consistent result', async () => {
    const store0 = await az.store();
    const rt = await runtimeWith(store0);
    const scannable = (await plannedMessages()).filter((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled);
    // The cluster with the most nodes, so its node results take the most writes.
    const msg = scannable.sort((a, b) => b.cluster.pools.reduce((n, p) => n + p.count, 0) - a.cluster.pools.reduce((n, p) => n + p.count, 0))[0]!;
    const older = { ...msg, runId: `${msg.runId}-old`, scanId: `${msg.scanId}-old` };
    const use = (s: Store) => setSharedRuntime({ ...rt, store: s, deps: { ...rt.deps, store: s } });
    const fresh = async (): Promise<Store> => {
      const s = await az.store();
      use(s);
      await s.startRun({ runId: msg.runId, trigger: 'timer', startedAt: '2026-11-30T00:00:00.000Z', queued: 1 });
      await rt.queue().createIfNotExists();
      await rt.queue().clearMessages();
      await deliverChain(older);
      s.requests.reset();
      return s;
    };

    // The reference: the same delivery without a crash, and how many writes it makes.
    const clean = await fresh();
    const before = await stateOf(clean, msg);
    await deliverChain(msg);
    const writes = Object.entries(clean.requests.byKind)
      .filter(([k]) => !k.startsWith('GET'))
      .reduce((n, [, v]) => n + v, 0);
    const expected = await stateOf(clean, msg);
    // Node results, the scan header, the pointer and the run row at least.
    expect(writes).toBeGreaterThanOrEqual(4);
    expect(expected).not.toEqual(before);

    for (let n = 0; n < writes; n++) {
      const store = await fresh();
      const crashing = az.sameTables(store, { policies: [failAfterWrites(n)] });
      use(crashing);
      // The whole scan, step after step, until the worker is killed in one of them.
      const killed = await deliverChain(msg).then(
        () => null,
        (e: unknown) => e as StepFailed,
      );
      expect(String((killed?.cause as Error)?.message), `killed after write ${n}`).toMatch(/injected failure/);
      const during = (await store.listClusterSummaries()) as { scanId: string }[];
      expect(during, `killed after write ${n}`).toHaveLength(1);
      const latest = await store.getClusterLatest(msg.cluster.id);
      if (during[0]!.scanId === msg.scanId) {
        // The pointer moved last: the new scan is whole (every node result readable).
        expect(latest?.nodeList.length, `killed after write ${n}`).toBe(latest?.nodes);
        for (const node of latest?.nodeList ?? []) expect(await store.getNodeResult(msg.cluster.id, msg.scanId, node.name)).not.toBeNull();
      } else {
        expect(during[0]!.scanId, `killed after write ${n}`).toBe(older.scanId);
        expect(latest?.scanId).toBe(older.scanId);
      }
      // The host redelivers the step it died in; this time the worker lives.
      use(store);
      await deliverChain(killed!.message0, 2);
      expect(await stateOf(store, msg), `redelivered after a kill after write ${n}`).toEqual(expected);
    }
  });

  it('of its failure record, at every write point: the redelivery records the one failed outcome', async () => {
    const store0 = await az.store();
    const rt = await runtimeWith(store0);
    const msg = (await plannedMessages()).find((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled)!;
    const use = (s: Store, policies: PipelinePolicy[]) => {
      const v = az.sameTables(s, { policies });
      setSharedRuntime({ ...rt, store: v, deps: { ...rt.deps, store: v } });
      return v;
    };
    const fresh = async (): Promise<Store> => {
      const s = await az.store();
      await s.startRun({ runId: msg.runId, trigger: 'timer', startedAt: '2026-11-30T00:00:00.000Z', queued: 1 });
      return s;
    };
    // The reference: a deterministic failure recorded without a crash.
    const clean = await fresh();
    const counted = use(clean, [nodeResultsTooLarge(clean)]);
    await rt.queue().createIfNotExists();
    await rt.queue().clearMessages();
    await deliverChain(msg);
    const writes = Object.entries(counted.requests.byKind)
      .filter(([k]) => !k.startsWith('GET'))
      .reduce((n, [, v]) => n + v, 0);
    const expected = await stateOf(clean, msg);
    expect(expected).toMatchObject({ summaries: [{ outcome: 'failed', reason: 'internal' }], run: { done: 1, failed: 1 } });
    // The command's record, the step sent, the command's done mark, the refused node results, then the failure's header, pointer, fleet digest, run row and the scan's terminal step mark.
    expect(writes).toBe(9);
    // The refusal answers before failAfterWrites sees the node results: it counts the failure record's writes only.
    for (let n = 0; n < writes - 1; n++) {
      const store = await fresh();
      use(store, [nodeResultsTooLarge(store), failAfterWrites(n)]);
      const killed = await deliverChain(msg).then(
        () => null,
        (e: unknown) => e as StepFailed,
      );
      expect(String((killed?.cause as Error)?.message), `killed after write ${n}`).toMatch(/injected failure/);
      use(store, [nodeResultsTooLarge(store)]);
      await deliverChain(killed!.message0, 2);
      expect(await stateOf(store, msg), `redelivered after a kill after write ${n}`).toEqual(expected);
    }
  });
});

describe('the local queue host, as the Functions host consumes the queue', () => {
  it('a deterministic error (the service refuses a value as too large) is recorded on the first delivery, never retried: one run-command', async () => {
    const store = await az.store();
    const rt = await runtimeWith(az.sameTables(store, { policies: [nodeResultsTooLarge(store)] }));
    const host = new LocalQueueHost(rt, { concurrency: 4, maxDequeueCount: MAX_DEQUEUE_COUNT, visibilityTimeoutSeconds: 0, log: () => undefined });
    await host.ensureQueues();
    await rt.queue().clearMessages();
    const from = sim.requests.length;
    const queued = await host.fireTimer();
    const result = await host.drain();
    const summaries = await store.listClusterSummaries();
    expect(summaries).toHaveLength(queued);
    const failed = summaries.filter((s) => s.outcome === 'failed' && s.reason === 'internal');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.detail).toMatch(/a retry would repeat, so it was not retried: .*PropertyValueTooLarge/);
    // Exactly one outcome per cluster, each on its first delivery: nothing retried, nothing poisoned.
    expect(result).toMatchObject({ failedAttempts: 0, poisoned: 0 });
    // Each cluster's first message and each of its follow-up steps, once.
    expect(result.handled).toBe(queued + result.followUps);
    const commands = runCommandsSince(from);
    for (const f of failed) expect(commands.get(f.clusterId.toLowerCase()), f.clusterId).toBe(1);
    expect(await store.getRun((await store.listRuns(1))[0]!.runId)).toMatchObject({ queued, done: queued, complete: true });
  });

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
    const from = sim.requests.length;
    const queued = await host.fireTimer();
    const result = await host.drain();
    const summaries = await store.listClusterSummaries();
    expect(summaries).toHaveLength(queued);
    const failed = summaries.filter((s) => s.outcome === 'failed' && s.reason === 'internal');
    expect(failed.length).toBeGreaterThan(0);
    // Skipped clusters store no node results; the ones that scanned failed on every delivery: a storage outage is transient.
    expect(result.failedAttempts).toBe(failed.length * (MAX_DEQUEUE_COUNT - 1));
    // The redeliveries of the failing (last) step reuse the recorded command: one run-command each.
    const commands = runCommandsSince(from);
    for (const f of failed) expect(commands.get(f.clusterId.toLowerCase()), f.clusterId).toBe(1);
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
    await rt.queue(POISON_QUEUE).clearMessages();
    storageDown = false;
    const messages = await plannedMessages();
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
    const host = new LocalQueueHost(rt, { concurrency: 4, maxDequeueCount: MAX_DEQUEUE_COUNT, visibilityTimeoutSeconds: 0, log: () => undefined });
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
    expect(await plannedMessages(c, { ...timer, isPastDue: true })).toHaveLength(8);
    expect(warnings.some((w) => /isPastDue/.test(w))).toBe(true);
    expect(warnings.some((w) => /pruning history failed; it is retried on the next run: .*injected/.test(w))).toBe(true);
    expect(rt.settings.RETENTION_DAYS).toBe(90);
  });

  it('host.json, the bindings and the infra agree with the queue names and delivery limit the code uses', async () => {
    const { readFileSync } = await import('node:fs');
    const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as {
      extensions: { queues: { maxDequeueCount: number } };
      functionTimeout: string;
    };
    expect(host.extensions.queues.maxDequeueCount).toBe(MAX_DEQUEUE_COUNT);
    // The entry points load the names at start: the module must stay free of imports.
    expect(readFileSync(new URL('../../src/pipeline/queues.ts', import.meta.url), 'utf8')).not.toMatch(/^\s*import\b/m);
    // The timer writes where the worker reads; the poison trigger reads where the host moves failures.
    expect(scanClusterTrigger).toEqual({ queueName: SCAN_QUEUE, connection: STORAGE_CONNECTION });
    expect(scanClusterPoisonTrigger).toEqual({ queueName: `${scanClusterTrigger.queueName}-poison`, connection: STORAGE_CONNECTION });
    expect(POISON_QUEUE).toBe(`${SCAN_QUEUE}-poison`);
    // The local hosts use the runtime's queues under the same names.
    const rt = await runtimeWith(await az.store());
    expect([rt.queue().name, rt.queue(POISON_QUEUE).name]).toEqual([SCAN_QUEUE, POISON_QUEUE]);
    // The deployment creates exactly these queues.
    const bicep = readFileSync(new URL('../../infra/main.bicep', import.meta.url), 'utf8');
    const declared = /queueNames:\s*\[([^\]]*)\]/.exec(bicep)?.[1]?.match(/'[^']+'/g);
    expect(declared).toEqual([`'${SCAN_QUEUE}'`, `'${POISON_QUEUE}'`]);
    // A scan may take up to 10 minutes; the host must let it.
    const [h, m] = host.functionTimeout.split(':').map(Number);
    expect(h! * 60 + m!).toBeGreaterThanOrEqual(10);
  });
});

describe('Teams alerts from the worker', () => {
  it("the run's last cluster posts one digest for the run: not again for a redelivery, not again when nothing is new", async () => {
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
      const webhookUrl = `http://127.0.0.1:${port}/workflows/x?sig=SECRET`;
      // No waivers, so the simulated drift (platform and quirk topics) counts.
      const alerts = {
        webhookUrl,
        routing: { routes: [], fallback: { name: 'default', url: webhookUrl, rules: [] }, warnings: [], off: [] },
        waivers: async () => [],
        runDeadlineMs: 3_600_000,
      };
      const deps = { ...rt.deps, log: (l: string) => logs.push(l), alerts };
      setSharedRuntime({ ...rt, deps });
      const messages = await plannedMessages();
      const { processScanMessage } = await import('../../src/pipeline/pipeline.js');
      let withFails = 0;
      for (const [i, msg] of messages.entries()) {
        const scan = await processScanMessage(msg, deps, rt.scanOptions);
        if (scan.outcome.kind === 'scanned' && scan.outcome.nodes.some((n) => n.checks.some((c) => c.status === 'FAIL'))) withFails++;
        // Nothing goes out before the run's last cluster is recorded.
        if (i < messages.length - 1) expect(posts).toHaveLength(0);
      }
      // The simulated fleet is seeded: five of its six scannable clusters have FAILs.
      expect(withFails).toBe(5);
      expect(posts).toHaveLength(1);
      const body = JSON.parse(posts[0]!.body) as { attachments: { contentType: string }[] };
      expect(body).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }] });
      // A first scan is a baseline: one line per scanned cluster, no list of "new" FAILs.
      expect(posts[0]!.body.match(/baseline: \d+ FAIL/g)).toHaveLength(6);
      expect((await store.getRun(messages[0]!.runId))?.alerts).toEqual([expect.objectContaining({ channel: 'default', status: 'sent' })]);
      for (const msg of messages) {
        // Redelivery of the same message after the digest went out: no second post.
        await processScanMessage(msg, deps, rt.scanOptions);
        // A later scan with the same findings: nothing new, no post.
        await processScanMessage({ ...msg, scanId: `${msg.scanId}-next` }, deps, rt.scanOptions);
      }
      expect(posts).toHaveLength(1);
      expect(logs.join('\n')).not.toContain('SECRET');
      expect(logs.join('\n')).not.toContain('/workflows/');
    } finally {
      receiver.close();
    }
  });
});

describe('a worker killed between the POST of a run-command and its record', () => {
  it('the redelivery POSTs again, and the second command finds the first one’s Jobs: one set of kube-bench Jobs, one result', async () => {
    const store = await az.store();
    const rt = await runtimeWith(store);
    const msg = (await plannedMessages()).find((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled && !m.cluster.aadManaged)!;
    let alive = false;
    const deps = {
      ...rt.deps,
      afterPost: () => {
        if (!alive) throw new Error('injected: the worker died after ARM accepted the POST');
      },
    };
    const { processScanMessage } = await import('../../src/pipeline/pipeline.js');
    const from = sim.requests.length;
    const setsBefore = sim.jobSets().length;
    await expect(processScanMessage(msg, deps, rt.scanOptions, { dequeueCount: 1, maxDequeueCount: MAX_DEQUEUE_COUNT })).rejects.toThrow(/worker died/);
    // Nothing was recorded: the redelivery cannot know the first command.
    expect(await store.steps.commands({ runId: msg.runId, scanId: msg.scanId })).toEqual([]);
    alive = true;
    const scan = await processScanMessage(msg, deps, rt.scanOptions, { dequeueCount: 2, maxDequeueCount: MAX_DEQUEUE_COUNT });
    expect(scan.outcome.kind).toBe('scanned');
    const id = msg.cluster.id.toLowerCase();
    expect(runCommandsSince(from).get(id)).toBe(2);
    const sets = sim
      .jobSets()
      .slice(setsBefore)
      .filter((j) => j.clusterId.toLowerCase() === id);
    // One set of Jobs, which both commands ran on.
    expect(sets).toHaveLength(1);
    expect(sets[0]!.commands).toHaveLength(2);
    // The second command is the one recorded.
    const [recorded] = await store.steps.commands({ runId: msg.runId, scanId: msg.scanId });
    expect(recorded?.commandId).toBe(sets[0]!.commands[1]);
    expect((await store.getRun(msg.runId))?.done).toBe(1);
  });
});
