/**
 * Where the worker sends a scan's next step. Not an output binding: those cannot delay a message,
 * and the point of the next step is to come back when the command should be done. The message is
 * base64 of JSON, as the timer's output binding writes it and the queue trigger reads it.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { ScanMessage } from './message.js';

/** Azure Queue Storage takes messages of up to 64 KiB; ours are base64, so 48 KiB of JSON. */
export const MAX_MESSAGE_JSON_BYTES = 48 * 1024;

export function messageBytes(msg: ScanMessage): number {
  return Buffer.byteLength(JSON.stringify(msg));
}

export interface StepQueue {
  /** Enqueues the message, invisible for `delayMs` (rounded up to whole seconds, as the queue counts); returns its queue message id. */
  send(msg: ScanMessage, delayMs: number): Promise<string | undefined>;
  /** The caller runs the chain itself (processScanMessage): no queue can deliver a step twice, so no step is recorded or dropped. */
  inProcess?: true;
}

/** Azure Storage allows a visibility timeout of up to 7 days; a scan's deadline is far below. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600 - 1;

export function queueSender(queue: QueueClient, timeoutMs = 30_000): StepQueue {
  return {
    async send(msg, delayMs) {
      const visibilityTimeout = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000)));
      const text = Buffer.from(JSON.stringify(msg)).toString('base64');
      try {
        return (await queue.sendMessage(text, { visibilityTimeout, abortSignal: AbortSignal.timeout(timeoutMs) })).messageId;
      } catch (e) {
        // The Functions host creates the queue it triggers on; a fresh local store may not have it yet.
        if ((e as { statusCode?: unknown }).statusCode !== 404) throw e;
        await queue.createIfNotExists({ abortSignal: AbortSignal.timeout(timeoutMs) });
        return (await queue.sendMessage(text, { visibilityTimeout, abortSignal: AbortSignal.timeout(timeoutMs) })).messageId;
      }
    },
  };
}

/**
 * Sends a planned run's first messages, each invisible for its pacing delay (pacing.ts), a few at a
 * time: the timer's output binding cannot delay a message, so the timer and POST /api/scans send
 * them through the queue client.
 */
export async function enqueueRun(queue: QueueClient, run: { messages: readonly ScanMessage[]; delaysMs: readonly number[] }, atOnce = 16): Promise<void> {
  const sender = queueSender(queue);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < run.messages.length) {
      const i = next++;
      await sender.send(run.messages[i] as ScanMessage, run.delaysMs[i] ?? 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, run.messages.length) }, worker));
}
