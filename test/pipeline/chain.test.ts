/**
 * One chain of steps per scan, when a worker dies between sending a step's follow-up and recording
 * it, and when a first message is delivered again past the cluster's deadline. Real parts: the
 * worker's processScanStep, the queue and tables (Azurite), the HTTPS ARM simulator. The simulator's
 * clock and the worker's `now` are one clock the test moves, so a poll finds the command running or
 * done as the case needs; follow-ups go to the real queue without their delay, and the test delivers
 * them (and redelivers a step) in the order the case describes.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeQueueMessage } from '../../src/cli/host/queue-host.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import type { Pace } from '../../src/pipeline/pacing.js';
import type { Delivery, PipelineDeps, PlannedRun } from '../../src/pipeline/pipeline.js';
import { planRun, processScanStep } from '../../src/pipeline/pipeline.js';
import type { ScanMessage } from '../../src/pipeline/message.js';
import { MAX_DEQUEUE_COUNT } from '../../src/pipeline/queues.js';
import type { StepQueue } from '../../src/pipeline/step-queue.js';
import { queueSender } from '../../src/pipeline/step-queue.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { defaultDemoFleet, startArmSimulator } from '../../src/simulator/index.js';
import type { Store } from '../../src/store/index.js';
import { scanKey } from '../../src/store/keys.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();
const COMMAND_MS = 60_000;
let clock = Date.parse('2026-11-30T12:00:00.000Z');
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startArmSimulator({
    fleet: defaultDemoFleet({ clusters: 6, seed: 3 }),
    seed: 3,
    commandDurationMs: COMMAND_MS,
    retryAfterSeconds: 0,
    clock: () => clock,
  });
});
afterAll(async () => {
  await sim?.stop();
});
// Each case an hour after the last: no command of an earlier case is still running.
beforeEach(() => {
  clock += 3_600_000;
});

/** Storage requests for one scan's step record (`scan~s`): reads, conditional writes, inserts. */
function stepRecordRequests(scanId: string): PipelinePolicy & { count: number } {
  const row = `${scanKey(scanId)}~s`;
  const policy = {
    name: 'stepRecordRequests',
    count: 0,
    sendRequest: (req: Parameters<PipelinePolicy['sendRequest']>[0], next: Parameters<PipelinePolicy['sendRequest']>[1]) => {
      const body = typeof req.body === 'string' ? req.body : '';
      if (decodeURIComponent(req.url).includes(`RowKey='${row}'`) || body.includes(`"RowKey":"${row}"`)) policy.count++;
      return next(req);
    },
  };
  return policy;
}

interface Harness {
  rt: Runtime;
  store: Store;
  deps: PipelineDeps;
  logs: string[];
  /** Times the scan was stored. */
  saves: () => number;
  planned: PlannedRun;
  /** The planned run's first scannable cluster's first message. */
  msg: ScanMessage;
  /** Requests on that scan's step record. */
  steps: ReturnType<typeof stepRecordRequests>;
  /** The simulator's request count when the case began. */
  from: number;
}

async function harness(pace: Pace | null = null): Promise<Harness> {
  const tables = await az.store();
  const rt = await createRuntime(
    { AzureWebJobsStorage: az.instance.connectionString },
    {
      credential: simulatorCredential(),
      armEndpoint: sim.endpoint,
      armCa: sim.ca,
      store: tables,
      storage: az.target(),
      timing: { firstPollDelayMs: 30, pollIntervalMs: 30 },
      now: () => new Date(clock),
      log: () => undefined,
    },
  );
  await rt.queue().createIfNotExists();
  await rt.queue().clearMessages();
  const logs: string[] = [];
  const planned = await planRun({ ...rt.deps, log: () => undefined }, 'timer', { ...rt.planOptions, pace });
  const msg = planned.messages.find((m) => m.cluster.powerState !== 'Stopped' && !m.cluster.runCommandDisabled)!;
  const steps = stepRecordRequests(msg.scanId);
  const store = az.sameTables(tables, { policies: [steps] });
  let saved = 0;
  const save = store.saveClusterScan.bind(store);
  store.saveClusterScan = async (...a) => {
    saved++;
    return save(...a);
  };
  return { rt, store, deps: { ...rt.deps, store, log: (l) => logs.push(l) }, logs, saves: () => saved, msg, steps, planned, from: sim.requests.length };
}

/** The real queue, without the visibility delay: the test decides when each step is delivered. */
function queueOf(rt: Runtime): StepQueue {
  const real = queueSender(rt.queue());
  return { send: (m) => real.send(m, 0) };
}

interface Queued {
  body: unknown;
  id: string;
}

/** Takes the one queued message off the queue (the host's receive + complete). */
async function take(rt: Runtime): Promise<Queued> {
  const got = await rt.queue().receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
  expect(got.receivedMessageItems, 'messages queued').toHaveLength(1);
  const item = got.receivedMessageItems[0]!;
  await rt.queue().deleteMessage(item.messageId, item.popReceipt);
  return { body: decodeQueueMessage(item.messageText).body, id: item.messageId };
}

async function takeAll(rt: Runtime): Promise<Queued[]> {
  const got = await rt.queue().receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
  for (const item of got.receivedMessageItems) await rt.queue().deleteMessage(item.messageId, item.popReceipt);
  return got.receivedMessageItems.map((item) => ({ body: decodeQueueMessage(item.messageText).body, id: item.messageId }));
}

const delivery = (id: string, dequeueCount = 1): Delivery => ({ dequeueCount, maxDequeueCount: MAX_DEQUEUE_COUNT, messageId: id });

function armCalls(clusterId: string): number {
  return sim.requests.filter((r) => r.clusterId?.toLowerCase() === clusterId.toLowerCase()).length;
}

/** A planned cluster whose first step ran: it POSTed and sent step 1 (recorded). */
async function started(): Promise<{ h: Harness; q: StepQueue }> {
  const h = await harness();
  const q = queueOf(h.rt);
  expect(await processScanStep(h.msg, h.deps, h.rt.scanOptions, delivery('m0'), q)).toBeNull();
  return { h, q };
}

const died = new Error('injected: the worker died after sending the follow-up');

describe('a worker that dies between sending a follow-up and recording it', () => {
  it('the follow-up stores the scan; the step delivered again afterwards is dropped without calling ARM', async () => {
    const { h, q } = await started();
    clock += 1_000;
    const m1 = await take(h.rt);
    // Step 1 polls (running), sends step 2 and dies before recording it.
    const dying = { ...h.deps, afterSend: () => Promise.reject(died) };
    await expect(processScanStep(m1.body, dying, h.rt.scanOptions, delivery(m1.id), q)).rejects.toThrow(/worker died/);
    clock += COMMAND_MS;
    const m2 = await take(h.rt);
    // Step 2 finds the command done and stores the scan.
    expect(await processScanStep(m2.body, h.deps, h.rt.scanOptions, delivery(m2.id), q)).toMatchObject({ outcome: { kind: 'scanned' } });
    expect(h.saves()).toBe(1);
    const before = armCalls(h.msg.cluster.id);
    // The host delivers step 1 again: its lease ran out with the dead worker.
    expect(await processScanStep(m1.body, h.deps, h.rt.scanOptions, delivery(m1.id, 2), q)).toBeNull();
    expect(armCalls(h.msg.cluster.id)).toBe(before);
    expect(h.saves()).toBe(1);
    expect(await takeAll(h.rt)).toEqual([]);
    expect(h.logs).toContainEqual(expect.stringMatching(/step 1 dropped, scan .* was already stored/));
    expect((await h.store.getRun(h.msg.runId))?.done).toBe(1);
    // So is the first message, delivered once more.
    expect(await processScanStep(h.msg, h.deps, h.rt.scanOptions, delivery('m0', 3), q)).toBeNull();
    expect(armCalls(h.msg.cluster.id)).toBe(before);
  });

  it('the follow-up and the step delivered again run at once: the record only moves forward, one chain goes on', async () => {
    const { h, q } = await started();
    clock += 1_000;
    const m1 = await take(h.rt);
    await expect(processScanStep(m1.body, { ...h.deps, afterSend: () => Promise.reject(died) }, h.rt.scanOptions, delivery(m1.id), q)).rejects.toThrow(
      /worker died/,
    );
    clock += 1_000;
    const m2 = await take(h.rt);
    // Both read the record (step 1) before either writes; step 2's worker records step 3 first, then
    // the redelivered step 1's worker records its step 2 on what it read.
    let redeliveredSent!: () => void;
    const redeliveredHasSent = new Promise<void>((r) => (redeliveredSent = r));
    const forward = processScanStep(m2.body, { ...h.deps, afterSend: () => redeliveredHasSent }, h.rt.scanOptions, delivery(m2.id), q);
    const behind = processScanStep(
      m1.body,
      {
        ...h.deps,
        afterSend: async () => {
          redeliveredSent();
          await forward;
        },
      },
      h.rt.scanOptions,
      delivery(m1.id, 2),
      q,
    );
    expect(await Promise.all([forward, behind])).toEqual([null, null]);
    expect(await h.store.steps.lastStep({ runId: h.msg.runId, scanId: h.msg.scanId })).toMatchObject({ seq: 3 });
    // Two follow-ups are queued (step 3 and a second step 2); once the command is done, one of them polls and stores.
    clock += COMMAND_MS;
    const queued = await takeAll(h.rt);
    expect(queued.map((m) => (m.body as ScanMessage).step?.seq).sort()).toEqual([2, 3]);
    const before = armCalls(h.msg.cluster.id);
    for (const m of queued) await processScanStep(m.body, h.deps, h.rt.scanOptions, delivery(m.id), q);
    expect(armCalls(h.msg.cluster.id) - before).toBe(1);
    expect(h.saves()).toBe(1);
    expect(h.logs.filter((l) => / dropped, /.test(l))).toHaveLength(1);
    expect(await takeAll(h.rt)).toEqual([]);
    expect((await h.store.getRun(h.msg.runId))?.done).toBe(1);
  });
});

describe("a scan's step-record requests", () => {
  it('per cluster: one read per follow-up, one write per follow-up sent, one terminal mark', async () => {
    const { h, q } = await started();
    // Two polls find the command running, the third finds it done: three follow-ups.
    for (const advance of [1_000, 1_000, COMMAND_MS]) {
      clock += advance;
      const m = await take(h.rt);
      await processScanStep(m.body, h.deps, h.rt.scanOptions, delivery(m.id), q);
    }
    expect(h.saves()).toBe(1);
    const followUps = 3;
    // Reads: each follow-up's. Writes: each follow-up sent (3), and the terminal mark after the store.
    console.log(`storage requests for a scan of ${followUps} follow-up step(s): ${h.store.requests.total}, of which the step record ${h.steps.count}`);
    expect(h.steps.count).toBe(followUps + followUps + 1);
  });

  it('a scan that ends in its first step (a stopped cluster, skipped) makes one: the terminal mark', async () => {
    const h = await harness();
    const stopped = h.planned.messages.find((m) => m.cluster.powerState === 'Stopped')!;
    const steps = stepRecordRequests(stopped.scanId);
    const store = az.sameTables(h.store, { policies: [steps] });
    const scan = await processScanStep(stopped, { ...h.deps, store }, h.rt.scanOptions, delivery('s0'), queueOf(h.rt));
    expect(scan?.outcome.kind).toBe('skipped');
    console.log(`storage requests for a skipped cluster: ${store.requests.total}, of which the step record ${steps.count}`);
    expect(steps.count).toBe(1);
  });
});

/** Run-commands the simulator received for the cluster since request `from`. */
function runCommands(clusterId: string, from: number): number {
  return sim.requests.slice(from).filter((r) => r.operation === 'ManagedClusters_RunCommand' && r.clusterId?.toLowerCase() === clusterId.toLowerCase()).length;
}

describe("the cluster's deadline counts from the planned start", () => {
  it('the planner puts each first message’s planned start (its pacing delay included) in it', async () => {
    const planStart = clock;
    // One request at once, then one a second: every later cluster of a subscription is delayed.
    const h = await harness({ burst: 1, perSecond: 1 });
    const { messages, delaysMs } = h.planned;
    expect(delaysMs.some((d) => d > 0)).toBe(true);
    expect(messages.map((m) => m.plannedStart)).toEqual(delaysMs.map((d) => new Date(planStart + d).toISOString()));
  });

  it('a first message delivered again past its deadline ends as a timeout without a second POST', async () => {
    const h = await harness();
    const q = queueOf(h.rt);
    // The worker dies after ARM accepted the POST, before recording it: a redelivery cannot know the command.
    const dying = {
      ...h.deps,
      afterPost: () => {
        throw new Error('injected: the worker died after ARM accepted the POST');
      },
    };
    await expect(processScanStep(h.msg, dying, h.rt.scanOptions, delivery('m0'), q)).rejects.toThrow(/worker died/);
    expect(runCommands(h.msg.cluster.id, h.from)).toBe(1);
    // Redelivered past the deadline (the host hid it, then the workers of later deliveries died too).
    clock += h.rt.scanOptions.deadlineMs + 1_000;
    const scan = await processScanStep(h.msg, h.deps, h.rt.scanOptions, delivery('m0', 2), q);
    expect(scan?.outcome).toMatchObject({ kind: 'failed', reason: 'timeout' });
    expect(runCommands(h.msg.cluster.id, h.from)).toBe(1);
    expect(await takeAll(h.rt)).toEqual([]);
    expect(await h.store.getClusterLatest(h.msg.cluster.id)).toMatchObject({ scanId: h.msg.scanId, outcome: { kind: 'failed', reason: 'timeout' } });
  });

  it('a first step late but before the deadline POSTs and carries the anchored deadline; a message without a planned start counts from its step', async () => {
    const h = await harness();
    const q = queueOf(h.rt);
    clock += h.rt.scanOptions.deadlineMs - 60_000;
    expect(await processScanStep(h.msg, h.deps, h.rt.scanOptions, delivery('m0'), q)).toBeNull();
    expect(runCommands(h.msg.cluster.id, h.from)).toBe(1);
    const { plannedStart: _p, ...old } = h.msg;
    const m1 = await take(h.rt);
    const step = (m1.body as ScanMessage).step!;
    // The follow-up carries the anchored deadline: a minute left.
    expect(Date.parse(step.deadlineAt)).toBe(Date.parse(h.msg.plannedStart!) + h.rt.scanOptions.deadlineMs);
    // A message from before the planned start existed: its deadline counts from its first step, as it did.
    const other = { ...old, scanId: `${old.scanId}-old` };
    expect(await processScanStep(other, h.deps, h.rt.scanOptions, delivery('o0'), q)).toBeNull();
    const o1 = await take(h.rt);
    expect(Date.parse((o1.body as ScanMessage).step!.deadlineAt)).toBe(clock + h.rt.scanOptions.deadlineMs);
    // A planned start after the first step (the planner's clock ahead of the worker's) never lengthens the deadline.
    const early = { ...h.msg, scanId: `${h.msg.scanId}-early`, plannedStart: new Date(clock + 3_600_000).toISOString() };
    expect(await processScanStep(early, h.deps, h.rt.scanOptions, delivery('e0'), q)).toBeNull();
    const e1 = await take(h.rt);
    expect(Date.parse((e1.body as ScanMessage).step!.deadlineAt)).toBe(clock + h.rt.scanOptions.deadlineMs);
  });
});
