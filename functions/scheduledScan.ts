// Timer: records a scan run, discovers the fleet, and enqueues one message per cluster; then prunes history.
import type { InvocationContext, Timer } from '@azure/functions';
import { app, output } from '@azure/functions';
import { SCAN_QUEUE, STORAGE_CONNECTION } from '../src/pipeline/queues.js';
import { errorMessage } from '../src/model/errors.js';

export const scanQueueOutput = output.storageQueue({ queueName: SCAN_QUEUE, connection: STORAGE_CONNECTION });

export async function scheduledScan(timer: Timer, context: InvocationContext): Promise<void> {
  // Loaded here, not at import: a cold start pays for the SDKs only when a handler runs.
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const { planRun } = await import('../src/pipeline/pipeline.js');
  const rt = await sharedRuntime();
  if (timer.isPastDue) context.warn('scheduledScan is running late (isPastDue): the previous run or the host was delayed');
  const run = await planRun({ ...rt.deps, log: (l) => context.log(l) }, 'timer', rt.planOptions);
  context.extraOutputs.set(scanQueueOutput, run.messages);
  context.log(`run ${run.runId}: ${run.messages.length} message(s) queued`);
  // Pruning is housekeeping: if it fails, the run's messages must still go out (outputs of a failed invocation are dropped).
  try {
    const pruned = await rt.store.pruneHistory(rt.deps.now(), rt.settings.RETENTION_DAYS);
    context.log(`pruned ${pruned.deleted} scan(s) and ${pruned.runsDeleted} run(s) older than ${rt.settings.RETENTION_DAYS} days`);
  } catch (e) {
    context.warn(`pruning history failed; it is retried on the next run: ${errorMessage(e)}`);
  }
}

app.timer('scheduledScan', { schedule: '%SCAN_SCHEDULE%', extraOutputs: [scanQueueOutput], handler: scheduledScan });
