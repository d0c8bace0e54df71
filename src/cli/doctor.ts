/** `aks-fleet-scanner doctor`: is each cluster ready for its first scan, and if not, what to do. */
import { parseArgs } from 'node:util';
import { readSettings } from '../config/settings.js';
import { doctorFleet } from '../doctor/fleet.js';
import { renderDoctorText } from '../doctor/render.js';
import { GUID } from '../model/ids.js';
import { styleFor } from '../report/style.js';
import { checkArmFlags, connectArm, namespaceFlag, normaliseSimulate } from './arm-options.js';
import type { CliIo } from './io.js';
import { oneOf, UsageError } from './io.js';

/** A doctor run: one run-command whose script waits up to 90 s for its check pod, plus ARM's polling. */
const DEADLINE_MS = 5 * 60_000;

export async function doctorCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: normaliseSimulate(argv),
    allowPositionals: false,
    strict: true,
    options: {
      cluster: { type: 'string', multiple: true },
      subscription: { type: 'string', multiple: true },
      format: { type: 'string' },
      namespace: { type: 'string' },
      'arm-endpoint': { type: 'string' },
      'arm-ca': { type: 'string' },
      simulate: { type: 'string' },
    },
  });
  const settings = readSettings(io.env);
  const format = oneOf(values.format, ['text', 'json'] as const, '--format') ?? 'text';
  const clusterIds = values.cluster ?? [];
  const subscriptions = values.subscription ?? [];
  for (const sub of subscriptions) {
    if (!GUID.test(sub)) throw new UsageError(`--subscription must be a subscription id (a GUID), not "${sub}"`);
  }
  if (clusterIds.length === 0 && subscriptions.length === 0)
    throw new UsageError('doctor needs --cluster RESOURCE_ID or --subscription ID (each may be repeated)');
  checkArmFlags(values, clusterIds);
  const namespace = namespaceFlag(values.namespace) ?? settings.SCAN_NAMESPACE;

  const { arm, timing, stop } = await connectArm(values, io, 'doctor');
  try {
    const report = await doctorFleet(
      { clusterIds, subscriptions },
      { arm },
      {
        namespace,
        timing,
        deadlineMs: DEADLINE_MS,
        ...(settings.KUBE_BENCH_IMAGE ? { image: settings.KUBE_BENCH_IMAGE } : {}),
      },
    );
    io.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderDoctorText(report, styleFor(io.stdout, io.env)));
    if (report.clusters.some((c) => !c.ok)) return 1;
    return report.problems.length ? 3 : 0;
  } finally {
    await stop();
  }
}
