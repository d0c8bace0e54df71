/** The API's dependencies from the shared runtime: the store, the clock, and "scan now" through the real queue. */
import pLimit from 'p-limit';
import type { ApiDeps } from '../api/types.js';
import { schedulePeriodMs } from '../config/schedule.js';
import { planRun } from '../pipeline/pipeline.js';
import type { Runtime } from './runtime.js';
import { sharedRuntime } from './runtime.js';

export function apiDepsFor(rt: Runtime, log?: ApiDeps['log']): ApiDeps {
  return {
    store: rt.store,
    now: rt.deps.now,
    schedulePeriodMs: schedulePeriodMs(rt.settings.SCAN_SCHEDULE),
    requestScan: async (clusterIds) => {
      const run = await planRun(rt.deps, 'http', { ...rt.planOptions, only: clusterIds });
      const queue = rt.queue();
      // Functions' queue trigger reads base64 by default, as the timer's output binding writes it.
      // Sixteen at a time: a fleet-wide request must fit the HTTP timeout.
      const limit = pLimit(16);
      await Promise.all(run.messages.map((m) => limit(() => queue.sendMessage(Buffer.from(JSON.stringify(m)).toString('base64')))));
      return { runId: run.runId, queued: run.messages.length };
    },
    ...(log ? { log } : {}),
  };
}

export async function apiDeps(log?: ApiDeps['log']): Promise<ApiDeps> {
  return apiDepsFor(await sharedRuntime(), log);
}
