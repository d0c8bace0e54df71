// Queue trigger: one step of a cluster's scan per message (plan + POST, then polls, then store); a step
// that must wait sends the next one to the same queue with a visibility delay. Redelivery is safe.
import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';
import { MAX_DEQUEUE_COUNT, SCAN_QUEUE, STORAGE_CONNECTION } from '../src/pipeline/queues.js';

/** The trigger's binding, exported so a test can hold it to the queue the timer writes and host.json. */
export const scanClusterTrigger = { queueName: SCAN_QUEUE, connection: STORAGE_CONNECTION } as const;

export async function scanClusterHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const [{ processScanStep }, { queueSender }] = await Promise.all([import('../src/pipeline/pipeline.js'), import('../src/pipeline/step-queue.js')]);
  const rt = await sharedRuntime();
  const dequeueCount = Number(context.triggerMetadata?.['dequeueCount'] ?? 1);
  const id = context.triggerMetadata?.['id'];
  const delivery = {
    dequeueCount: Number.isFinite(dequeueCount) ? dequeueCount : 1,
    maxDequeueCount: MAX_DEQUEUE_COUNT,
    ...(typeof id === 'string' && id ? { messageId: id } : {}),
  };
  await processScanStep(message, { ...rt.deps, log: (l) => context.log(l) }, rt.scanOptions, delivery, queueSender(rt.queue(SCAN_QUEUE)));
}

app.storageQueue('scanCluster', { ...scanClusterTrigger, handler: scanClusterHandler });
