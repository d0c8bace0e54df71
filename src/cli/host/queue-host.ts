/**
 * A local stand-in for the Functions host's timer and queue triggers, for `demo`, `serve`, tests and
 * the fleet benchmark's worker processes: it calls the same handlers as functions/ with
 * InvocationContexts in @azure/functions' test mode, writes the timer's queue output to the real
 * (Azurite) queue, and consumes that queue the way the host does: a message that fails is retried
 * after its visibility timeout, and after maxDequeueCount failures it moves to the poison queue,
 * whose handler records it. The worker sends each scan's follow-up steps to the same queue with a
 * visibility delay (the queue holds them invisible; drain() waits for them).
 *
 * Several hosts, in one process or in many, may consume one queue: the queue's own leases keep a
 * message with one of them at a time. The handlers find the runtime through sharedRuntime(), one per
 * process: startQueueHost installs it.
 */
import azf from '@azure/functions';
import type { Timer } from '@azure/functions';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { scanClusterHandler } from '../../../functions/scanCluster.js';
import { scanClusterPoisonHandler } from '../../../functions/scanClusterPoison.js';
import { scheduledScan } from '../../../functions/scheduledScan.js';
import { POISON_QUEUE, SCAN_QUEUE } from '../../pipeline/queues.js';
import type { Runtime } from '../../runtime/runtime.js';
import { setSharedRuntime } from '../../runtime/runtime.js';
import { errorMessage } from '../../model/errors.js';

const { InvocationContext } = azf;

export interface QueueHostOptions {
  /** Messages handled at once, like the host's batchSize + newBatchThreshold. */
  concurrency: number;
  /** As host.json's extensions.queues.maxDequeueCount. */
  maxDequeueCount: number;
  /** Seconds a failed message stays invisible before its retry. */
  visibilityTimeoutSeconds: number;
  log: (line: string) => void;
  /**
   * The longest wait between polls of a queue that holds only invisible (delayed) messages: the
   * wait doubles from 100 ms up to this, as the host's polling backs off to maxPollingInterval.
   * 1 s when unset.
   */
  maxPollingIntervalMs?: number;
  /** Told each scanCluster invocation's start and end (performance.now()), so the fleet bench can count busy time. */
  onInvocation?: (startMs: number, endMs: number) => void;
}

export interface DrainResult {
  /** Messages handled successfully: first messages and follow-up steps. */
  handled: number;
  /** Of those, follow-up steps (messages carrying a scan's progress). */
  followUps: number;
  failedAttempts: number;
  /** Messages moved to the poison queue in this drain. */
  poisoned: number;
  /** Poison messages whose handler recorded them. */
  poisonRecorded: number;
}

let invocation = 0;

type DequeuedItem = Pick<DequeuedMessageItem, 'messageId' | 'popReceipt' | 'messageText' | 'dequeueCount'>;

/**
 * A message body as the Functions host hands it to a handler: the JSON it holds, or, when it is
 * not JSON (or not even base64 of UTF-8), its text; `readable` says which.
 */
export function decodeQueueMessage(messageText: string): { readable: true; body: unknown } | { readable: false; body: string } {
  const text = Buffer.from(messageText, 'base64').toString('utf8');
  try {
    return { readable: true, body: JSON.parse(text) as unknown };
  } catch {
    return { readable: false, body: text };
  }
}

function context(
  functionName: string,
  triggerMetadata: Record<string, unknown> = {},
  log: (l: string) => void = () => undefined,
): InstanceType<typeof InvocationContext> {
  const forward = (...args: unknown[]) => log(args.map(String).join(' '));
  return new InvocationContext({
    invocationId: `local-${++invocation}`,
    functionName,
    triggerMetadata,
    logHandler: (_level, ...args) => forward(...args),
  });
}

function isFollowUp(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'step' in body;
}

/**
 * A worker host for this process over `rt` (installed as the process's shared runtime, which the
 * handlers use), with its queues created. For a standalone worker process:
 *   const rt = await createRuntime(process.env, overrides);
 *   const host = await startQueueHost(rt, { concurrency, maxDequeueCount, visibilityTimeoutSeconds, log });
 *   await host.runUntil(signal);   // or: await host.drain();
 */
export async function startQueueHost(rt: Runtime, opts: QueueHostOptions): Promise<LocalQueueHost> {
  setSharedRuntime(rt);
  const host = new LocalQueueHost(rt, opts);
  await host.ensureQueues();
  return host;
}

export class LocalQueueHost {
  constructor(
    private readonly rt: Runtime,
    private readonly opts: QueueHostOptions,
  ) {}

  private get scanQueue(): QueueClient {
    return this.rt.queue(SCAN_QUEUE);
  }

  private get poisonQueue(): QueueClient {
    return this.rt.queue(POISON_QUEUE);
  }

  async ensureQueues(): Promise<void> {
    await this.scanQueue.createIfNotExists();
    await this.poisonQueue.createIfNotExists();
  }

  /** Fires the timer once; it enqueues the run's messages itself (paced). Returns how many. */
  async fireTimer(): Promise<number> {
    const ctx = context('scheduledScan', {}, this.opts.log);
    const timer: Timer = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
    return (await scheduledScan(timer, ctx)).queued;
  }

  /** Drains the queue again and again, as the host's queue trigger would, until the signal fires. */
  async runUntil(signal: AbortSignal, idleMs = 1000): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.drain();
      } catch (e) {
        this.opts.log(`worker: ${errorMessage(e)}`);
      }
      try {
        await sleep(idleMs, undefined, { signal });
      } catch {
        // Aborted: the loop condition ends it.
      }
    }
  }

  private async handle(item: DequeuedItem, result: DrainResult): Promise<void> {
    const decoded = decodeQueueMessage(item.messageText);
    if (!decoded.readable) {
      // No delivery can read it: straight to the poison queue, not three more tries, and never a stalled drain.
      this.opts.log(`scanCluster: message ${item.messageId} is not JSON; moved to the poison queue`);
      await this.poisonQueue.sendMessage(item.messageText);
      await this.scanQueue.deleteMessage(item.messageId, item.popReceipt);
      result.poisoned++;
      return;
    }
    const started = performance.now();
    try {
      try {
        await scanClusterHandler(decoded.body, context('scanCluster', { dequeueCount: item.dequeueCount, id: item.messageId }, this.opts.log));
      } finally {
        this.opts.onInvocation?.(started, performance.now());
      }
      await this.scanQueue.deleteMessage(item.messageId, item.popReceipt);
      result.handled++;
      if (isFollowUp(decoded.body)) result.followUps++;
    } catch (e) {
      result.failedAttempts++;
      this.opts.log(`scanCluster failed (attempt ${item.dequeueCount}): ${e instanceof Error ? e.message : String(e)}`);
      if (item.dequeueCount >= this.opts.maxDequeueCount) {
        await this.poisonQueue.sendMessage(item.messageText);
        await this.scanQueue.deleteMessage(item.messageId, item.popReceipt);
        result.poisoned++;
      } else {
        await this.scanQueue.updateMessage(item.messageId, item.popReceipt, undefined, this.opts.visibilityTimeoutSeconds);
      }
    }
  }

  /** Handles messages until the scan queue and the poison queue are empty. */
  async drain(): Promise<DrainResult> {
    const result: DrainResult = { handled: 0, followUps: 0, failedAttempts: 0, poisoned: 0, poisonRecorded: 0 };
    // A pump, not batch by batch: a new message starts as soon as any one finishes, so one slow
    // cluster does not hold back the other workers (as with the host's newBatchThreshold).
    const inFlight = new Set<Promise<void>>();
    let idleMs = 100;
    for (;;) {
      if (inFlight.size >= this.opts.concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      const want = Math.min(32, this.opts.concurrency - inFlight.size);
      const batch = await this.scanQueue.receiveMessages({ numberOfMessages: want, visibilityTimeout: 600 });
      if (batch.receivedMessageItems.length === 0) {
        if (inFlight.size > 0) {
          await Promise.race(inFlight);
          continue;
        }
        const props = await this.scanQueue.getProperties();
        if ((props.approximateMessagesCount ?? 0) === 0) break;
        // Messages waiting out a delay (a paced first message, a step's next poll) or a failure's
        // visibility timeout: poll less and less often, as the host does, since every receive costs
        // the queue service a scan of its messages.
        await new Promise((r) => setTimeout(r, idleMs));
        idleMs = Math.min(this.opts.maxPollingIntervalMs ?? 1000, idleMs * 2);
        continue;
      }
      idleMs = 100;
      for (const item of batch.receivedMessageItems) {
        const p: Promise<void> = this.handle(item, result)
          .catch((e: unknown) => this.opts.log(`queue host: message ${item.messageId}: ${errorMessage(e)}`))
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
    // The poison queue: one pass. A message whose handler fails stays there for the next drain.
    const poison = await this.poisonQueue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
    for (const item of poison.receivedMessageItems) {
      try {
        await scanClusterPoisonHandler(
          decodeQueueMessage(item.messageText).body,
          context('scanClusterPoison', { dequeueCount: item.dequeueCount, id: item.messageId }, this.opts.log),
        );
        await this.poisonQueue.deleteMessage(item.messageId, item.popReceipt);
        result.poisonRecorded++;
      } catch (e) {
        this.opts.log(`scanClusterPoison failed: ${errorMessage(e)}`);
        await this.poisonQueue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
      }
    }
    return result;
  }
}
