/**
 * The queues between the timer and the worker, and how often the host delivers a message before
 * giving up on it. Written once here, with no imports, so the Functions entry points can name their
 * bindings at load time without pulling in zod or the SDKs; the pipeline, `serve` and `demo` use the
 * same values, and a test holds host.json and the bindings to them.
 */

/** The app setting (or setting prefix, for identity-based connections) the queue bindings use. */
export const STORAGE_CONNECTION = 'AzureWebJobsStorage';

/** One message per cluster, from the timer (or POST /api/scans) to the worker. */
export const SCAN_QUEUE = 'scan-cluster';

/**
 * Where the Functions host moves a message that failed MAX_DEQUEUE_COUNT deliveries: it always names
 * it `<queue>-poison` (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages).
 */
export const POISON_QUEUE = `${SCAN_QUEUE}-poison`;

/** host.json extensions.queues.maxDequeueCount; the local hosts of `serve` and `demo` apply the same limit. */
export const MAX_DEQUEUE_COUNT = 3;
