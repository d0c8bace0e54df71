// Queue trigger: scans one cluster and stores the results. Redelivery is safe (deterministic ids, upserts).
import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

export async function scanClusterHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const { processScanMessage } = await import('../src/pipeline/pipeline.js');
  const { MAX_DEQUEUE_COUNT } = await import('../src/pipeline/message.js');
  const rt = await sharedRuntime();
  const dequeueCount = Number(context.triggerMetadata?.['dequeueCount'] ?? 1);
  await processScanMessage(message, { ...rt.deps, log: (l) => context.log(l) }, rt.scanOptions, {
    dequeueCount: Number.isFinite(dequeueCount) ? dequeueCount : 1,
    maxDequeueCount: MAX_DEQUEUE_COUNT,
  });
}

app.storageQueue('scanCluster', { queueName: 'scan-cluster', connection: 'AzureWebJobsStorage', handler: scanClusterHandler });
