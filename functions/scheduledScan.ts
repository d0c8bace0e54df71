// Timer: records a scan run, discovers the fleet, and enqueues one message per cluster, paced per
// subscription (src/pipeline/pacing.ts); then prunes history.
import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';
import { errorMessage } from '../src/model/errors.js';

/** What the timer queued: the host ignores it (no return binding); the local queue host and tests read it. */
export interface TimerRun {
  runId: string;
  queued: number;
}

export async function scheduledScan(timer: Timer, context: InvocationContext): Promise<TimerRun> {
  // Loaded here, not at import: a cold start pays for the SDKs only when a handler runs.
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const [{ planRun }, { enqueueRun }] = await Promise.all([import('../src/pipeline/pipeline.js'), import('../src/pipeline/step-queue.js')]);
  const rt = await sharedRuntime();
  if (timer.isPastDue) context.warn('scheduledScan is running late (isPastDue): the previous run or the host was delayed');
  const run = await planRun({ ...rt.deps, log: (l) => context.log(l) }, 'timer', rt.planOptions);
  // Through the queue client, not an output binding: a binding cannot give a message its pacing delay.
  await enqueueRun(rt.queue(), run);
  context.log(`run ${run.runId}: ${run.messages.length} message(s) queued`);
  // Pruning is housekeeping: if it fails, the run's messages are out already.
  try {
    const pruned = await rt.store.pruneHistory(rt.deps.now(), rt.settings.RETENTION_DAYS);
    context.log(`pruned ${pruned.deleted} scan(s) and ${pruned.runsDeleted} run(s) older than ${rt.settings.RETENTION_DAYS} days`);
  } catch (e) {
    context.warn(`pruning history failed; it is retried on the next run: ${errorMessage(e)}`);
  }
  return { runId: run.runId, queued: run.messages.length };
}

app.timer('scheduledScan', { schedule: '%SCAN_SCHEDULE%', handler: scheduledScan });
