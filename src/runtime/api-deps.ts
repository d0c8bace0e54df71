/**
 * The API's dependencies: the store, the clock, and "scan now" through the real queue. A first
 * request to the API builds only the store; ARM clients and the scan pipeline load when someone
 * asks for a scan, because a cold start costs users money.
 */
import pLimit from 'p-limit';
import type { ApiDeps } from '../api/types.js';
import { schedulePeriodMs } from '../config/schedule.js';
import type { Runtime } from './runtime.js';
import { sharedRuntime, sharedRuntimeIfReady } from './runtime.js';

async function requestScanWith(rt: Runtime, clusterIds: string[] | null): Promise<{ runId: string; queued: number }> {
  const { planRun } = await import('../pipeline/pipeline.js');
  const run = await planRun(rt.deps, 'http', { ...rt.planOptions, only: clusterIds });
  const queue = rt.queue();
  // Functions' queue trigger reads base64 by default, as the timer's output binding writes it.
  // Sixteen at a time: a fleet-wide request must fit the HTTP timeout.
  const limit = pLimit(16);
  await Promise.all(run.messages.map((m) => limit(() => queue.sendMessage(Buffer.from(JSON.stringify(m)).toString('base64')))));
  return { runId: run.runId, queued: run.messages.length };
}

export function apiDepsFor(rt: Runtime, log?: ApiDeps['log']): ApiDeps {
  return {
    store: rt.store,
    now: rt.deps.now,
    schedulePeriodMs: schedulePeriodMs(rt.settings.SCAN_SCHEDULE),
    requestScan: (clusterIds) => requestScanWith(rt, clusterIds),
    ...(log ? { log } : {}),
  };
}

let light: Promise<ApiDeps> | undefined;

async function lightDeps(): Promise<ApiDeps> {
  const [{ readSettings }, { createStore, storageTargetFromEnv }] = await Promise.all([import('../config/settings.js'), import('../store/index.js')]);
  const settings = readSettings(process.env);
  const store = createStore(storageTargetFromEnv(process.env));
  await store.ensureTables();
  return {
    store,
    now: () => new Date(),
    schedulePeriodMs: schedulePeriodMs(settings.SCAN_SCHEDULE),
    requestScan: async (clusterIds) => requestScanWith(await sharedRuntime(), clusterIds),
  };
}

export async function apiDeps(log?: ApiDeps['log']): Promise<ApiDeps> {
  const rt = sharedRuntimeIfReady();
  if (rt) return apiDepsFor(rt, log);
  light ??= lightDeps().catch((e: unknown) => {
    light = undefined;
    throw e;
  });
  const deps = await light;
  return log ? { ...deps, log } : deps;
}
