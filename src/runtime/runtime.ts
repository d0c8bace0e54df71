/**
 * Wires real clients to the core from settings: the one place (with the CLI) that creates Azure
 * SDK clients. Imported lazily by functions/ so that a cold start loads no SDK before a handler
 * needs it.
 */
import { readFileSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import type { QueueClient } from '@azure/storage-queue';
import type { ArmClients } from '../azure/arm.js';
import type { FeatureStates, LoadedSettings } from '../config/features.js';
import { loadSettings, turnOff } from '../config/features.js';
import type { Settings } from '../config/settings.js';
import type { PipelineDeps, RunPlanOptions } from '../pipeline/pipeline.js';
import type { POISON_QUEUE } from '../pipeline/queues.js';
import { SCAN_QUEUE } from '../pipeline/queues.js';
import type { PollTiming } from '../scan/run-command.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import type { ClusterScanOptions } from '../scan/scan-cluster.js';
import type { Store, StorageTarget } from '../store/index.js';
import { createQueueClient, createStore, storageTargetFromEnv } from '../store/index.js';
import { errorLine } from '../model/errors.js';
import type { WaiverConfig } from '../knowledge/waivers.js';
import type { WaiverService } from '../waivers/service.js';
import { DEFAULT_CHANNEL } from '../alert/routes.js';

export interface RuntimeOverrides {
  credential?: TokenCredential;
  /** PEM; else ARM_CA_FILE. */
  armCa?: string;
  armEndpoint?: string;
  storage?: StorageTarget;
  /** A store made elsewhere (tests inject faults through its pipeline). */
  store?: Store;
  timing?: PollTiming;
  log?: (line: string) => void;
  now?: () => Date;
  tablePrefix?: string;
  /** Overrides TEAMS_WEBHOOK_URL (tests send to a loopback receiver over http). */
  teamsWebhookUrl?: string;
}

export interface Runtime {
  settings: Settings;
  /** Optional features and why any is off (GET /api/health shows them). */
  features: FeatureStates;
  deps: PipelineDeps;
  arm: ArmClients;
  store: Store;
  storage: StorageTarget;
  scanOptions: ClusterScanOptions;
  planOptions: RunPlanOptions;
  queue(name?: typeof SCAN_QUEUE | typeof POISON_QUEUE): QueueClient;
  /** The waivers table and the effective waiver list (table, WAIVERS_FILE, defaults), for alerts and the API. */
  waivers: WaiverService;
}

async function defaultCredential(): Promise<TokenCredential> {
  // DefaultAzureCredential uses AZURE_CLIENT_ID to pick the user-assigned identity in Azure.
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

export function scanOptionsFrom(settings: Settings, timing: PollTiming = DEFAULT_POLL_TIMING): ClusterScanOptions {
  const opts: ClusterScanOptions = {
    benchmark: settings.SCAN_BENCHMARK,
    selection: settings.SCAN_NODES,
    nodesPerCommand: settings.SCAN_NODES_PER_COMMAND,
    timing,
    deadlineMs: settings.SCAN_CLUSTER_DEADLINE_SECONDS * 1000,
    filter: { excludeTags: settings.SCAN_EXCLUDE_TAGS },
    namespace: settings.SCAN_NAMESPACE,
  };
  if (settings.KUBE_BENCH_IMAGE) opts.image = settings.KUBE_BENCH_IMAGE;
  return opts;
}

export function planOptionsFrom(settings: Settings): RunPlanOptions {
  return {
    discovery: settings.SCAN_DISCOVERY,
    subscriptions: settings.SCAN_SUBSCRIPTIONS,
    excludeSubscriptions: settings.SCAN_EXCLUDE_SUBSCRIPTIONS,
    filter: {
      ...(settings.SCAN_RESOURCE_GROUP_PATTERN ? { resourceGroupPattern: settings.SCAN_RESOURCE_GROUP_PATTERN } : {}),
      includeTags: settings.SCAN_INCLUDE_TAGS,
      excludeTags: settings.SCAN_EXCLUDE_TAGS,
    },
  };
}

export async function createRuntime(env: NodeJS.ProcessEnv, o: RuntimeOverrides = {}): Promise<Runtime> {
  const loaded = loadSettings(env);
  const { settings } = loaded;
  const credential = o.credential ?? (await defaultCredential());
  const armCa = o.armCa ?? (settings.ARM_CA_FILE ? readFileSync(settings.ARM_CA_FILE, 'utf8') : undefined);
  const endpoint = o.armEndpoint ?? settings.ARM_ENDPOINT;
  // Loaded here, not at import: the API's handlers use this module without ever calling ARM.
  const { createArmClients } = await import('../azure/arm.js');
  // The worker's steps requeue themselves on 429 (steps.ts): no invocation sleeps out a Retry-After.
  const arm = createArmClients({ credential, throttled: 'return', ...(endpoint ? { endpoint } : {}), ...(armCa ? { ca: armCa } : {}) });
  const storage = o.storage ?? storageTargetFromEnv(env);
  const store = o.store ?? createStore(storage, o.tablePrefix ? { tablePrefix: o.tablePrefix } : {});
  // The Function app owns its tables: create them once per process, before any handler writes.
  if (!o.store) await store.ensureTables();
  const queues = new Map<string, QueueClient>();
  const deps: PipelineDeps = { arm, store, now: o.now ?? (() => new Date()), log: o.log ?? ((l) => console.log(l)) };
  const waivers = await waiverServiceFor(settings, loaded, storage, store, deps);
  // A loopback receiver (tests) stands in for TEAMS_WEBHOOK_URL, which settings require to be https.
  const routing = o.teamsWebhookUrl ? { ...loaded.routing, fallback: { name: DEFAULT_CHANNEL, url: o.teamsWebhookUrl, rules: [] } } : loaded.routing;
  // Alerts without the waivers someone wrote would post what they chose to silence: a WAIVERS_FILE
  // that cannot be loaded turned alerts off (waiverServiceFor).
  if ((routing.fallback || routing.routes.length > 0) && waivers.fileLoaded) {
    deps.alerts = {
      ...(routing.fallback ? { webhookUrl: routing.fallback.url } : {}),
      routing,
      waivers: () => waivers.service.cache.current(),
      runDeadlineMs: settings.ALERT_RUN_DEADLINE_MINUTES * 60_000,
      ...(settings.DASHBOARD_URL ? { dashboardUrl: settings.DASHBOARD_URL } : {}),
    };
    if (o.teamsWebhookUrl) loaded.features.alerts = 'on';
  }
  const warn = o.log ?? ((l: string) => console.warn(l));
  for (const w of loaded.warnings) warn(w);
  return {
    settings,
    features: loaded.features,
    deps,
    arm,
    store,
    storage,
    scanOptions: scanOptionsFrom(settings, o.timing),
    // The scan options tell the planner how many requests each cluster will make, for pacing.
    planOptions: { ...planOptionsFrom(settings), scan: scanOptionsFrom(settings, o.timing) },
    waivers: waivers.service,
    queue(name = SCAN_QUEUE) {
      let q = queues.get(name);
      if (!q) queues.set(name, (q = createQueueClient(storage, name)));
      return q;
    },
  };
}

/**
 * The waiver service over the waivers table (same table prefix as the results store). A
 * WAIVERS_FILE that does not load turns alerts off (alerts without the waivers someone wrote would
 * post what they chose to silence); the API then lists the table's and default waivers only.
 */
export async function waiverServiceFor(
  settings: Settings,
  loaded: LoadedSettings,
  storage: StorageTarget,
  store: Pick<Store, 'tables'>,
  deps: Pick<PipelineDeps, 'now' | 'log'>,
): Promise<{ service: WaiverService; fileLoaded: boolean }> {
  const [{ loadWaiverConfig }, { createWaiverTable }, { WaiverService }] = await Promise.all([
    import('../knowledge/index.js'),
    import('../store/waivers.js'),
    import('../waivers/service.js'),
  ]);
  let file: WaiverConfig | null = null;
  let fileLoaded = true;
  try {
    file = settings.WAIVERS_FILE ? loadWaiverConfig(settings.WAIVERS_FILE) : null;
  } catch (e) {
    fileLoaded = false;
    turnOff(loaded, 'alerts', `WAIVERS_FILE could not be loaded: ${errorLine(e)}`);
  }
  const table = createWaiverTable(storage, { tablePrefix: store.tables.clusters.replace(/Clusters$/, '') });
  await table.ensureTable();
  const service = new WaiverService({
    table,
    file,
    defaults: settings.DEFAULT_WAIVERS !== 'off',
    maxDays: settings.WAIVER_MAX_DAYS,
    now: deps.now,
    log: deps.log,
  });
  return { service, fileLoaded };
}

let shared: Promise<Runtime> | undefined;
let ready: Runtime | undefined;

/** One runtime per process, built on first use from the app settings (Functions host). */
export function sharedRuntime(): Promise<Runtime> {
  shared ??= createRuntime(process.env).then(
    (r) => (ready = r),
    (e: unknown) => {
      shared = undefined;
      throw e;
    },
  );
  return shared;
}

/** The shared runtime if one is already built (or installed), without building it. */
export function sharedRuntimeIfReady(): Runtime | undefined {
  return ready;
}

/** Tests and the local host install their own runtime (simulator ARM, Azurite storage). */
export function setSharedRuntime(r: Runtime | undefined): void {
  shared = r ? Promise.resolve(r) : undefined;
  ready = r;
}
