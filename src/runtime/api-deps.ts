/**
 * The API's dependencies: the store, the clock, and "scan now" through the real queue. A first
 * request to the API builds only the store; ARM clients and the scan pipeline load when someone
 * asks for a scan, because a cold start costs users money.
 */
import pLimit from 'p-limit';
import { ApiError } from '../api/respond.js';
import type { ApiDeps } from '../api/types.js';
import { schedulePeriodMs } from '../config/schedule.js';
import type { Runtime } from './runtime.js';
import { sharedRuntime, sharedRuntimeIfReady } from './runtime.js';
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
  const { planRun } = await import('../pipeline/pipeline.js');
  const run = await planRun(rt.deps, 'http', { ...rt.planOptions, only: clusterIds });
  const queue = rt.queue();
  // Functions' queue trigger reads base64 by default, as the timer's output binding writes it.
  // Sixteen at a time: a fleet-wide request must fit the HTTP timeout.
  const limit = pLimit(16);
  await Promise.all(run.messages.map((m) => limit(() => queue.sendMessage(Buffer.from(JSON.stringify(m)).toString('base64')))));
  return { runId: run.runId, queued: run.messages.length, missing: run.missing };
}

export function apiDepsFor(rt: Runtime, log?: ApiDeps['log']): ApiDeps {
  return {
    store: rt.store,
    now: rt.deps.now,
    schedulePeriodMs: schedulePeriodMs(rt.settings.SCAN_SCHEDULE),
    requestScan: (clusterIds) => scanOr503(() => requestScanWith(rt, clusterIds)),
    features: () => ({ ...rt.features }),
    // The waivers the alerts use (the WAIVERS_FILE's and the defaults), so the heatmap hides what the cards hide.
    ...(rt.deps.alerts ? { waivers: () => rt.deps.alerts?.waivers ?? [] } : {}),
    ...(log ? { log } : {}),
  };
}

let light: Promise<ApiDeps> | undefined;

async function lightDeps(): Promise<ApiDeps> {
  const [{ loadSettings }, { createStore, storageTargetFromEnv }] = await Promise.all([import('../config/features.js'), import('../store/index.js')]);
  const { settings, features, warnings } = loadSettings(process.env);
  for (const w of warnings) console.warn(w);
  const store = createStore(storageTargetFromEnv(process.env));
  await store.ensureTables();
  return {
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
