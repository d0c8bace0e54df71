/**
 * The deployed sizing, read from the files that deploy it: host.json's queue settings (one
 * instance's concurrency) and the Bicep's Flex Consumption scale settings. The fleet bench runs
 * its worker processes with exactly these, and test/infra/sizing.test.ts holds them together.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const hostJson = z.object({
  extensions: z.object({
    queues: z.object({
      batchSize: z.number().int().positive(),
      newBatchThreshold: z.number().int().nonnegative(),
      maxDequeueCount: z.number().int().positive(),
      visibilityTimeout: z.string().regex(/^\d\d:\d\d:\d\d$/),
    }),
  }),
});

export interface HostQueueSizing {
  batchSize: number;
  newBatchThreshold: number;
  /** Messages one instance handles at once: batchSize + newBatchThreshold (host.json queue reference). */
  perInstance: number;
  maxDequeueCount: number;
  visibilityTimeoutSeconds: number;
}

export function hostQueueSizing(root = ROOT): HostQueueSizing {
  const parsed = hostJson.safeParse(JSON.parse(readFileSync(`${root}host.json`, 'utf8')));
  if (!parsed.success) throw new Error(`host.json: extensions.queues is not as the fleet bench expects: ${parsed.error.issues[0]?.message ?? ''}`);
  const q = parsed.data.extensions.queues;
  const [h, m, s] = q.visibilityTimeout.split(':').map(Number) as [number, number, number];
  return {
    batchSize: q.batchSize,
    newBatchThreshold: q.newBatchThreshold,
    perInstance: q.batchSize + q.newBatchThreshold,
    maxDequeueCount: q.maxDequeueCount,
    visibilityTimeoutSeconds: h * 3600 + m * 60 + s,
  };
}

export interface PlanSizing {
  maximumInstanceCount: number;
  instanceMemoryMB: number;
}

/** The defaults infra/main.bicep deploys (a parameter file or azd env may override them). */
export function planSizing(root = ROOT): PlanSizing {
  const main = readFileSync(`${root}infra/main.bicep`, 'utf8');
  const app = readFileSync(`${root}infra/app/function-app.bicep`, 'utf8');
  const max = Number(/param maximumInstanceCount int = (\d+)/.exec(main)?.[1]);
  const memory = Number(/param instanceMemoryMB int = (\d+)/.exec(main)?.[1] ?? /param instanceMemoryMB int = (\d+)/.exec(app)?.[1]);
  if (!(max > 0) || !(memory > 0)) throw new Error('infra: maximumInstanceCount or instanceMemoryMB has no default the fleet bench can read');
  return { maximumInstanceCount: max, instanceMemoryMB: memory };
}
