/** `aks-fleet-scanner scan`: scan a fleet (real Azure, or the simulator) and print or store the results. */
import { parseArgs } from 'node:util';
import { selectClusters } from '../discover/select.js';
import { triageCheck } from '../knowledge/index.js';
import type { ClusterScan } from '../model/cluster.js';
import { classifierFor } from '../pipeline/classify.js';
import { newRunId, scanIdFor } from '../pipeline/ids.js';
import { buildScanReport, renderScanText } from '../report/scan-report.js';
import { styleFor } from '../report/style.js';
import type { Benchmark } from '../model/kube-bench.js';
import { BENCHMARKS } from '../model/kube-bench.js';
import { GUID } from '../model/ids.js';
import { scanFleet } from '../scan/scan-fleet.js';
import type { CliIo } from './io.js';
import { oneOf, UsageError } from './io.js';
import type { Settings } from '../config/settings.js';
import { readSettings } from '../config/settings.js';
import { planOptionsFrom, scanOptionsFrom } from '../runtime/runtime.js';
import type { Store } from '../store/index.js';
import { storeFromOption } from './storage-option.js';
import { checkArmFlags, connectArm, namespaceFlag, normaliseSimulate } from './arm-options.js';

export { SIMULATED_POLL_TIMING } from './arm-options.js';

function positive(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`${flag} must be a whole number from 1 to 1000, not "${v}"`);
  return n;
}

/**
 * Clusters scanned at once, across the fleet and per subscription (ARM's write budget is per
 * subscription): SCAN_CONCURRENCY and SCAN_PER_SUBSCRIPTION, or --concurrency for both bounds.
 */
export function scanLimits(
  settings: Pick<Settings, 'SCAN_CONCURRENCY' | 'SCAN_PER_SUBSCRIPTION'>,
  concurrencyFlag?: string,
): { concurrency: number; perSubscription: number } {
  const concurrency = positive(concurrencyFlag, '--concurrency', settings.SCAN_CONCURRENCY);
  return { concurrency, perSubscription: Math.min(concurrency, settings.SCAN_PER_SUBSCRIPTION) };
}

export async function scanCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: normaliseSimulate(argv),
    allowPositionals: false,
    strict: true,
    options: {
      subscription: { type: 'string', multiple: true },
      cluster: { type: 'string', multiple: true },
      nodes: { type: 'string' },
      benchmark: { type: 'string' },
      concurrency: { type: 'string' },
      format: { type: 'string' },
      'arm-endpoint': { type: 'string' },
      'arm-ca': { type: 'string' },
      simulate: { type: 'string' },
      storage: { type: 'string' },
      discovery: { type: 'string' },
      namespace: { type: 'string' },
    },
  });
  void positionals;
  // The same settings as the Function app (filters, image, batch size, deadline); flags override them.
  const settings = readSettings(io.env);
  const format = oneOf(values.format, ['text', 'json'] as const, '--format') ?? 'text';
  const selection = oneOf(values.nodes, ['per-pool', 'all'] as const, '--nodes') ?? settings.SCAN_NODES;
  const benchmark: 'auto' | Benchmark = oneOf(values.benchmark, ['auto', ...BENCHMARKS] as const, '--benchmark') ?? settings.SCAN_BENCHMARK;
  const limits = scanLimits(settings, values.concurrency);
  for (const sub of values.subscription ?? []) {
    if (!GUID.test(sub)) throw new UsageError(`--subscription must be a subscription id (a GUID), not "${sub}"`);
  }
  const clusterIds = values.cluster ?? [];
  checkArmFlags(values, clusterIds);
  const namespace = namespaceFlag(values.namespace) ?? settings.SCAN_NAMESPACE;

  // Storage is checked (and its tables made) before the scan, not found unusable after it.
  const storageValue = values.storage ?? io.env['AZURE_STORAGE_CONNECTION_STRING'] ?? io.env['AzureWebJobsStorage'];
  let store: Store | undefined;
  if (storageValue) store = await storeFromOption(storageValue);

  const { arm, timing, stop } = await connectArm(values, io, 'scan');

  try {
    const plan = planOptionsFrom(settings);
    const discovery = oneOf(values.discovery, ['arm', 'resource-graph'] as const, '--discovery') ?? plan.discovery ?? 'arm';
    const fleet = await selectClusters(arm, {
      ...plan,
      discovery,
      ...(values.subscription?.length ? { subscriptions: values.subscription } : {}),
      ids: clusterIds,
    });
    for (const p of fleet.problems) io.stderr.write(`aks-fleet-scanner scan: subscription ${p.subscriptionId}: clusters could not be listed: ${p.message}\n`);
    const { clusters, missing } = fleet;

    const runId = newRunId(new Date());
    const progress = io.stderr.isTTY === true;
    let failed = 0;
    const scans: ClusterScan[] = await scanFleet(
      clusters,
      runId,
      { arm },
      {
        ...scanOptionsFrom(settings, timing),
        namespace,
        benchmark,
        selection,
        ...limits,
        onClusterDone: (s, done, total) => {
          if (s.outcome.kind === 'failed') failed++;
          if (progress) io.stderr.write(`\r${done}/${total} clusters, ${failed} failed `);
        },
      },
    );
    if (progress) io.stderr.write('\n');

    if (store) await storeScans(store, runId, scans, io);
    const report = buildScanReport(scans, arm.stats, (c) => triageCheck(c));
    io.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderScanText(report, styleFor(io.stdout, io.env)));
    if (missing.length) throw new UsageError(`--cluster: not found (deleted, or not visible to this identity): ${missing.join(', ')}`);
    // A subscription whose clusters could not be listed is a scan that did not cover the fleet.
    return fleet.problems.length ? 3 : 0;
  } finally {
    await stop();
  }
}

async function storeScans(store: Store, runId: string, scans: ClusterScan[], io: CliIo): Promise<void> {
  await store.startRun({ runId, trigger: 'cli', startedAt: scans[0]?.startedAt ?? new Date().toISOString(), queued: scans.length });
  let i = 0;
  for (const s of scans) {
    await store.saveClusterScan(s, { runId, scanId: scanIdFor(runId, i++) }, classifierFor(s.cluster));
    await store.recordClusterDone(runId, s.cluster.id, s.outcome.kind);
  }
  io.stderr.write(`aks-fleet-scanner scan: stored run ${runId} (${scans.length} cluster(s))\n`);
}
