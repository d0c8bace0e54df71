// Queue trigger on the poison queue: a message the worker failed on maxDequeueCount times is recorded as a failed outcome.
import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

export async function scanClusterPoisonHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const { recordPoisonMessage } = await import('../src/pipeline/pipeline.js');
  const rt = await sharedRuntime();
  await recordPoisonMessage(message, { ...rt.deps, log: (l) => context.log(l) });
}

app.storageQueue('scanClusterPoison', { queueName: 'scan-cluster-poison', connection: 'AzureWebJobsStorage', handler: scanClusterPoisonHandler });
