// Timer: posts the digests of runs past their deadline and retries digests that failed to post (every 5 minutes by default).
import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

export async function housekeeping(_timer: Timer, context: InvocationContext): Promise<void> {
  const { sharedRuntime } = await import('../src/runtime/runtime.js');
  const rt = await sharedRuntime();
  const alerts = rt.deps.alerts;
  if (!alerts) return;
  const { housekeepAlerts } = await import('../src/alert/run-digest.js');
  const reports = await housekeepAlerts({ store: rt.store, now: rt.deps.now, log: (l) => (l.startsWith('ERROR') ? context.error(l) : context.log(l)), alerts });
  const posted = reports.reduce((n, r) => n + r.posted.length, 0);
  if (reports.length > 0) context.log(`housekeeping: ${reports.length} run(s) with digests to deliver, ${posted} post attempt(s)`);
}

app.timer('housekeeping', { schedule: '%HOUSEKEEPING_SCHEDULE%', handler: housekeeping });
