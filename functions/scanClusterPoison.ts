// Queue trigger on the poison queue: a message the worker failed on maxDequeueCount times is recorded as a failed outcome.
import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';
import { POISON_QUEUE, STORAGE_CONNECTION } from '../src/pipeline/queues.js';

/** The trigger's binding, exported so a test can hold it to the queue the host moves failed messages to. */
export const scanClusterPoisonTrigger = { queueName: POISON_QUEUE, connection: STORAGE_CONNECTION } as const;

export async function scanClusterPoisonHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const { recordPoisonMessage } = await import('../src/pipeline/pipeline.js');
  const rt = await sharedRuntime();
  await recordPoisonMessage(message, { ...rt.deps, log: (l) => context.log(l) });
}

app.storageQueue('scanClusterPoison', { ...scanClusterPoisonTrigger, handler: scanClusterPoisonHandler });
