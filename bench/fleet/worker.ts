/**
 * One Function app instance of the fleet bench, as its own process: builds a Runtime against the
 * shared Azurite and ARM simulator, and runs the local queue host at host.json's concurrency until
 * the parent says stop; then reports its CPU time and the span of every invocation.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { withoutTestModeWarnings } from '../../src/cli/host/quiet.js';
import { scaledTiming } from './model.js';

export const workerConfig = z.object({
  instance: z.number().int().nonnegative(),
  connectionString: z.string().min(1),
  armEndpoint: z.url(),
  caPath: z.string().min(1),
  timeScale: z.number().positive(),
  concurrency: z.number().int().positive(),
  maxDequeueCount: z.number().int().positive(),
  visibilityTimeoutSeconds: z.number().int().nonnegative(),
});
export type WorkerConfig = z.infer<typeof workerConfig>;

export interface WorkerReport {
  type: 'report';
  instance: number;
  /** User + system CPU of this process from the parent's mark (else ready) to stop, in ms. */
  cpuMs: number;
  /** [start, end] of every scanCluster invocation since the mark, in ms since the mark. */
  spans: [number, number][];
  peakRssMB: number;
  /** This instance's ARM load: 429s handed back at once, and steps requeued for a Retry-After. */
  throttledReturned: number;
  throttleRequeues: number;
  /** Table Storage requests this instance sent since the mark, by "METHOD table". */
  tableRequests: Record<string, number>;
}

async function main(): Promise<void> {
  const cfg = workerConfig.parse(JSON.parse(process.env['FLEET_BENCH_WORKER'] ?? 'null'));
  const [{ createRuntime, setSharedRuntime }, { LocalQueueHost }] = await withoutTestModeWarnings(() =>
    Promise.all([import('../../src/runtime/runtime.js'), import('../../src/cli/host/queue-host.js')]),
  );
  const rt = await createRuntime(
    { AzureWebJobsStorage: cfg.connectionString },
    {
      credential: simulatorCredential(),
      armEndpoint: cfg.armEndpoint,
      armCa: readFileSync(cfg.caPath, 'utf8'),
      timing: scaledTiming(cfg.timeScale),
      log: () => undefined,
    },
  );
  setSharedRuntime(rt);
  const spans: [number, number][] = [];
  let peakRss = process.memoryUsage().rss;
  const rss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const host = new LocalQueueHost(rt, {
    concurrency: cfg.concurrency,
    maxDequeueCount: cfg.maxDequeueCount,
    visibilityTimeoutSeconds: cfg.visibilityTimeoutSeconds,
    // host.json's maxPollingInterval (2 s), on the scaled clock.
    maxPollingIntervalMs: 2000 / cfg.timeScale,
    log: () => undefined,
    onInvocation: (s, e) => spans.push([s - t0, e - t0]),
  });
  const stop = new AbortController();
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m) => {
    if (m === 'stop') stop.abort();
    if (m === 'mark') {
      // The measured run starts: count from here.
      spans.length = 0;
      rt.arm.stats.throttledReturned = 0;
      rt.arm.stats.throttleRequeues = 0;
      rt.store.requests.reset();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      process.send?.({ type: 'marked', instance: cfg.instance });
    }
  });
  process.send?.({ type: 'ready', instance: cfg.instance });
  await host.runUntil(stop.signal, 100);
  clearInterval(rss);
  const cpu = process.cpuUsage(cpu0);
  const report: WorkerReport = {
    type: 'report',
    instance: cfg.instance,
    cpuMs: (cpu.user + cpu.system) / 1000,
    spans,
    peakRssMB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20),
    throttledReturned: rt.arm.stats.throttledReturned,
    throttleRequeues: rt.arm.stats.throttleRequeues,
    tableRequests: { ...rt.store.requests.byKind },
  };
  process.send?.(report, () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet bench worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
