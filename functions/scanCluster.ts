// Queue trigger: scans one cluster and stores the results. Redelivery is safe (deterministic ids, upserts).
import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';
import { MAX_DEQUEUE_COUNT, SCAN_QUEUE, STORAGE_CONNECTION } from '../src/pipeline/queues.js';

/** The trigger's binding, exported so a test can hold it to the queue the timer writes and host.json. */
export const scanClusterTrigger = { queueName: SCAN_QUEUE, connection: STORAGE_CONNECTION } as const;

export async function scanClusterHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const { processScanMessage } = await import('../src/pipeline/pipeline.js');
  const rt = await sharedRuntime();
  const dequeueCount = Number(context.triggerMetadata?.['dequeueCount'] ?? 1);
  await processScanMessage(message, { ...rt.deps, log: (l) => context.log(l) }, rt.scanOptions, {
    dequeueCount: Number.isFinite(dequeueCount) ? dequeueCount : 1,
    maxDequeueCount: MAX_DEQUEUE_COUNT,
  });
}

app.storageQueue('scanCluster', { ...scanClusterTrigger, handler: scanClusterHandler });
