/** `aks-fleet-scanner serve`: the API and dashboard over stored results, on localhost, with a worker for POST /api/scans. */
import { parseArgs } from 'node:util';
import { MAX_DEQUEUE_COUNT } from '../pipeline/queues.js';
import type { CliIo } from './io.js';
import { stopSignal, UsageError } from './io.js';
import { storageTargetFromOption } from './storage-option.js';

/**
 * The warning `serve` prints when its ARM endpoint is Azure's: the worker then runs kube-bench on
 * real clusters with the developer's own credentials whenever POST /api/scans is called. Null for
 * a loopback endpoint (the simulator).
 */
export function realAzureWarning(armEndpoint: string | undefined, worker: boolean): string | null {
  let host = 'management.azure.com';
  try {
    if (armEndpoint) host = new URL(armEndpoint).hostname;
  } catch {
    // readSettings has validated it; an unreadable one is treated as real.
  }
  if (host === '127.0.0.1' || host === 'localhost' || host === '[::1]') return null;
  const what = worker
    ? 'POST /api/scans will run kube-bench through run-command on REAL AKS clusters with YOUR credentials (DefaultAzureCredential); start with --no-worker to only read results'
    : 'it reads results with YOUR credentials; the worker is off, so no scan runs from here';
  return `serve: WARNING: Azure Resource Manager is ${host}, not a simulator: ${what}. Only this machine can reach the server (127.0.0.1; other Hosts and cross-origin POSTs are refused).`;
}

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { port: { type: 'string' }, storage: { type: 'string' }, 'no-worker': { type: 'boolean' } },
  });
  const port = values.port === undefined ? 7071 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port number, not "${values.port}"`);
  const { withoutTestModeWarnings } = await import('./host/quiet.js');
  const [{ createRuntime, setSharedRuntime }, { serveHttp }, { LocalQueueHost }] = await withoutTestModeWarnings(() =>
    Promise.all([import('../runtime/runtime.js'), import('./host/http-host.js'), import('./host/queue-host.js')]),
  );
  const storage = values.storage ? await storageTargetFromOption(values.storage) : undefined;
  const rt = await createRuntime(io.env, storage ? { storage } : {});
  setSharedRuntime(rt);
  const server = await serveHttp(port, io);
  io.stderr.write(`serve: ${server.url}/api/dashboard (summary: ${server.url}/api/summary), until Ctrl-C\n`);
  const warning = realAzureWarning(rt.settings.ARM_ENDPOINT, !values['no-worker']);
  if (warning) io.stderr.write(`${warning}\n`);
  const stop = stopSignal();
  if (values['no-worker']) await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
  else {
    // POST /api/scans queues scans; this worker runs them, as the Function app's queue trigger would.
    const host = new LocalQueueHost(rt, {
      concurrency: rt.settings.SCAN_CONCURRENCY,
      maxDequeueCount: MAX_DEQUEUE_COUNT,
      visibilityTimeoutSeconds: 60,
      log: (l) => io.stderr.write(`worker: ${l}\n`),
    });
    await host.ensureQueues();
    await host.runUntil(stop);
  }
  await server.close();
  return 0;
}
