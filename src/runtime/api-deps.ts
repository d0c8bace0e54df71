/**
 * The API's dependencies: the store, the clock, and "scan now" through the real queue. A first
 * request to the API builds only the store; ARM clients and the scan pipeline load when someone
 * asks for a scan, because a cold start costs users money.
 */
import { ApiError } from '../api/respond.js';
import type { ApiDeps } from '../api/types.js';
import { schedulePeriodMs } from '../config/schedule.js';
import type { Runtime } from './runtime.js';
import { sharedRuntime, sharedRuntimeIfReady, waiverServiceFor } from './runtime.js';
import { errorLine } from '../model/errors.js';

/** A scan the API could not start because Azure could not be reached or signed in to: 503, one line. */
type ScanStarted = Awaited<ReturnType<ApiDeps['requestScan']>>;

async function scanOr503(start: () => Promise<ScanStarted>): Promise<ScanStarted> {
  try {
    return await start();
  } catch (e) {
    if (e instanceof Error && e.name === 'StoreError') throw e;
    const first = errorLine(e).slice(0, 300);
    throw new ApiError(503, 'ScannerUnavailable', `the scan could not be started (Azure sign-in or Resource Manager): ${first}`, { 'retry-after': '60' });
  }
}

async function requestScanWith(rt: Runtime, clusterIds: string[] | null): Promise<ScanStarted> {
  const [{ planRun }, { enqueueRun }] = await Promise.all([import('../pipeline/pipeline.js'), import('../pipeline/step-queue.js')]);
  const run = await planRun(rt.deps, 'http', { ...rt.planOptions, only: clusterIds });
  // Paced per subscription, as the timer's; sixteen at a time: a fleet-wide request must fit the HTTP timeout.
  await enqueueRun(rt.queue(), run);
  return { runId: run.runId, queued: run.messages.length, missing: run.missing };
}

export function apiDepsFor(rt: Runtime, log?: ApiDeps['log']): ApiDeps {
  return {
    store: rt.store,
    now: rt.deps.now,
    schedulePeriodMs: schedulePeriodMs(rt.settings.SCAN_SCHEDULE),
    requestScan: (clusterIds) => scanOr503(() => requestScanWith(rt, clusterIds)),
    features: () => ({ ...rt.features }),
    waivers: rt.waivers,
    ...(log ? { log } : {}),
  };
}

let light: Promise<ApiDeps> | undefined;

async function lightDeps(): Promise<ApiDeps> {
  const [{ loadSettings }, { createStore, storageTargetFromEnv }] = await Promise.all([import('../config/features.js'), import('../store/index.js')]);
  const loaded = loadSettings(process.env);
  const { settings, features, warnings } = loaded;
  for (const w of warnings) console.warn(w);
  const storage = storageTargetFromEnv(process.env);
  const store = createStore(storage);
  await store.ensureTables();
  const { service } = await waiverServiceFor(settings, loaded, storage, store, { now: () => new Date(), log: (l) => console.warn(l) });
  return {
    waivers: service,
    store,
    now: () => new Date(),
    schedulePeriodMs: schedulePeriodMs(settings.SCAN_SCHEDULE),
    requestScan: (clusterIds) => scanOr503(async () => requestScanWith(await sharedRuntime(), clusterIds)),
    // The full runtime knows more (a waiver file that would not load), once a scan or worker has built it.
    features: () => ({ ...(sharedRuntimeIfReady()?.features ?? features) }),
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
