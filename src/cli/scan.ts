/** `aks-fleet-scanner scan`: scan a fleet (real Azure, or the simulator) and print or store the results. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TokenCredential } from '@azure/core-auth';
import { createArmClients } from '../azure/arm.js';
import { parseClusterId } from '../discover/cluster-ref.js';
import { discoverFleet } from '../discover/discover.js';
import { discoverViaResourceGraph } from '../discover/resource-graph.js';
import { inScope } from '../discover/filters.js';
import { triageCheck } from '../knowledge/index.js';
import type { ClusterScan } from '../model/cluster.js';
import { InputError } from '../model/errors.js';
import { classifyCheck } from '../pipeline/classify.js';
import { newRunId, scanIdFor } from '../pipeline/ids.js';
import { buildScanReport, renderScanText } from '../report/scan-report.js';
import { styleFor } from '../report/style.js';
import type { Benchmark } from '../scan/plan.js';
import { BENCHMARKS } from '../scan/plan.js';
import type { PollTiming } from '../scan/run-command.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import { DEFAULT_CONCURRENCY, DEFAULT_PER_SUBSCRIPTION, scanFleet } from '../scan/scan-fleet.js';
import type { CliIo } from './io.js';
import { oneOf, UsageError } from './io.js';
import { readSettings } from '../config/settings.js';
import { planOptionsFrom, scanOptionsFrom } from '../runtime/runtime.js';
import type { Store } from '../store/index.js';
import { simulatorCredential } from './static-credential.js';
import { loadDevTooling } from './dev-tooling.js';
import { storeFromOption } from './storage-option.js';

/** Poll timing for the simulator, whose commands take about a second instead of half a minute. */
export const SIMULATED_POLL_TIMING: PollTiming = { firstPollDelayMs: 300, pollIntervalMs: 200 };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function positive(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`${flag} must be a whole number from 1 to 1000, not "${v}"`);
  return n;
}

/** `--simulate` takes an optional fleet file; parseArgs cannot express that, so give it an explicit value. */
function normaliseSimulate(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--simulate') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        out.push(`--simulate=${next}`);
        i++;
      } else out.push('--simulate=default');
    } else out.push(a);
  }
  return out;
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
    },
  });
  void positionals;
  // The same settings as the Function app (filters, image, batch size, deadline); flags override them.
  const settings = readSettings(io.env);
  const format = oneOf(values.format, ['text', 'json'] as const, '--format') ?? 'text';
  const selection = oneOf(values.nodes, ['per-pool', 'all'] as const, '--nodes') ?? settings.SCAN_NODES;
  const benchmark: 'auto' | Benchmark = oneOf(values.benchmark, ['auto', ...BENCHMARKS] as const, '--benchmark') ?? settings.SCAN_BENCHMARK;
  const concurrency = positive(values.concurrency, '--concurrency', settings.SCAN_CONCURRENCY ?? DEFAULT_CONCURRENCY);
  for (const sub of values.subscription ?? []) {
    if (!GUID.test(sub)) throw new UsageError(`--subscription must be a subscription id (a GUID), not "${sub}"`);
  }
  if (values['arm-endpoint'] !== undefined) {
    let url: URL;
    try {
      url = new URL(values['arm-endpoint']);
    } catch {
      throw new UsageError(`--arm-endpoint must be a URL, not "${values['arm-endpoint']}"`);
    }
    // The SDK sends bearer tokens only over TLS; say so before it fails deep inside.
    if (url.protocol !== 'https:')
      throw new UsageError(`--arm-endpoint must be an https:// URL (Azure SDK clients send tokens only over TLS), not "${values['arm-endpoint']}"`);
  }
  const clusterIds = values.cluster ?? [];
  for (const id of clusterIds) {
    try {
      parseClusterId(id);
    } catch {
      throw new UsageError(
        `--cluster must be an AKS resource id (/subscriptions/.../resourceGroups/.../providers/Microsoft.ContainerService/managedClusters/NAME), not "${id}"`,
      );
    }
  }
  if (values['arm-endpoint'] && values.simulate) throw new UsageError('--arm-endpoint and --simulate cannot be used together');
  if (Boolean(values['arm-endpoint']) !== Boolean(values['arm-ca']))
    throw new UsageError("--arm-endpoint and --arm-ca go together (the simulator's endpoint and its CA certificate)");

  // Storage is checked (and its tables made) before the scan, not found unusable after it.
  const storageValue = values.storage ?? io.env['AZURE_STORAGE_CONNECTION_STRING'] ?? io.env['AzureWebJobsStorage'];
  let store: Store | undefined;
  if (storageValue) store = await storeFromOption(storageValue);

  let endpoint = values['arm-endpoint'];
  let ca = values['arm-ca'] ? readCa(resolve(io.cwd, values['arm-ca'])) : undefined;
  let credential: TokenCredential | undefined;
  let timing = DEFAULT_POLL_TIMING;
  let stopSimulator: (() => Promise<void>) | undefined;
  if (values.simulate) {
    const sim = await loadDevTooling('scan --simulate', () => import('../simulator/index.js'));
    const fleet =
      values.simulate === 'default'
        ? sim.defaultDemoFleet()
        : sim.parseFleetSpec(parseJsonFile(resolve(io.cwd, values.simulate), values.simulate), values.simulate);
    // Commands take ~1 s here instead of ~30 s in Azure; SIMULATED_POLL_TIMING matches.
    const running = await sim.startArmSimulator({ fleet, commandDurationMs: 600, commandJitterMs: 400, retryAfterSeconds: 0 });
    stopSimulator = () => running.stop();
    endpoint = running.endpoint;
    ca = running.ca;
    credential = simulatorCredential();
    timing = SIMULATED_POLL_TIMING;
  } else if (endpoint) {
    credential = simulatorCredential();
    timing = SIMULATED_POLL_TIMING;
  } else {
    const { DefaultAzureCredential } = await import('@azure/identity');
    credential = new DefaultAzureCredential();
  }

  try {
    const arm = createArmClients({ credential, ...(endpoint ? { endpoint } : {}), ...(ca ? { ca } : {}) });
    const plan = planOptionsFrom(settings);
    const subs = clusterIds.length
      ? [...new Set(clusterIds.map((id) => parseClusterId(id).subscriptionId))]
      : values.subscription?.length
        ? values.subscription
        : plan.subscriptions;
    const discovery = oneOf(values.discovery, ['arm', 'resource-graph'] as const, '--discovery') ?? plan.discovery ?? 'arm';
    const choice = { include: subs, exclude: plan.excludeSubscriptions };
    const fleet = discovery === 'resource-graph' ? await discoverViaResourceGraph(arm, choice) : await discoverFleet(arm, choice);
    for (const p of fleet.problems) io.stderr.write(`aks-fleet-scanner scan: subscription ${p.subscriptionId}: clusters could not be listed: ${p.message}\n`);
    const wanted = new Set(clusterIds.map((id) => id.toLowerCase()));
    // A cluster named with --cluster is scanned whatever the filters say; the rest go through them.
    const clusters = fleet.clusters.filter((c) => (wanted.size ? wanted.has(c.id.toLowerCase()) : inScope(c, plan.filter)));
    const missing = [...wanted].filter((id) => !clusters.some((c) => c.id.toLowerCase() === id));

    const runId = newRunId(new Date());
    const progress = io.stderr.isTTY === true;
    let failed = 0;
    const scans: ClusterScan[] = await scanFleet(
      clusters,
      runId,
      { arm },
      {
        ...scanOptionsFrom(settings, timing),
        benchmark,
        selection,
        concurrency,
        perSubscription: Math.min(concurrency, DEFAULT_PER_SUBSCRIPTION),
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
    await stopSimulator?.();
  }
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new InputError(path, 'cannot be read as a CA certificate (PEM)');
  }
}

function parseJsonFile(path: string, name: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(name, 'does not exist or cannot be read');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(name, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

async function storeScans(store: Store, runId: string, scans: ClusterScan[], io: CliIo): Promise<void> {
  await store.startRun({ runId, trigger: 'cli', startedAt: scans[0]?.startedAt ?? new Date().toISOString(), queued: scans.length });
  let i = 0;
  for (const s of scans) {
    await store.saveClusterScan(s, { runId, scanId: scanIdFor(runId, i++) }, classifyCheck);
    await store.recordClusterDone(runId, s.cluster.id, s.outcome.kind);
  }
  io.stderr.write(`aks-fleet-scanner scan: stored run ${runId} (${scans.length} cluster(s))\n`);
}
