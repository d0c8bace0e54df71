/**
 * The fleet bench's run: one simulated fleet through the real pipeline. The HTTPS ARM simulator runs
 * in this process, the queue and the tables each in an Azurite process of its own
 * (azurite-child.ts), and the Function app's instances are separate worker processes (worker.ts),
 * each running the local queue host at host.json's concurrency. The timer's planRun queues the run;
 * the run ends when the store counts every cluster done. Azure's clock runs `timeScale` times
 * faster: command durations and the scanner's waits are divided by it, and the throttling buckets
 * refill that much faster (sizes unchanged).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { withoutTestModeWarnings } from '../../src/cli/host/quiet.js';
import { azuriteConnectionString } from '../../src/local/azurite.js';
import { planRun } from '../../src/pipeline/pipeline.js';
import { DEFAULT_PACE } from '../../src/pipeline/pacing.js';
import { enqueueRun } from '../../src/pipeline/step-queue.js';
import { SCAN_QUEUE } from '../../src/pipeline/queues.js';
import type { RunRecord } from '../../src/store/types.js';
import type { CommandResultBucket, RecordedRequest } from '../../src/simulator/index.js';
import { startArmSimulator } from '../../src/simulator/index.js';
import { clusterId } from '../../src/simulator/arm-bodies.js';
import { benchFleet } from './fleet-spec.js';
import { scaledTiming } from './model.js';
import type { WorkerConfig, WorkerReport } from './worker.js';
import type { AzuriteChildCpu, AzuriteChildReady } from './azurite-child.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const AZURITE = fileURLToPath(new URL('./azurite-child.ts', import.meta.url));

export interface FleetRunOptions {
  clusters: number;
  subscriptions: number;
  /** Worker processes: Function app instances. */
  workers: number;
  /** Invocations at once per worker (host.json batchSize + newBatchThreshold). */
  concurrency: number;
  maxDequeueCount: number;
  visibilityTimeoutSeconds: number;
  /** Azure seconds per real second. */
  timeScale: number;
  /** A command's duration in Azure seconds, plus up to `commandJitterSeconds`. */
  commandSeconds: number;
  commandJitterSeconds: number;
  commandResultBucket: CommandResultBucket;
  /** Give up (and fail the bench) after this many real seconds. */
  timeoutSeconds: number;
  /**
   * Clusters per subscription scanned in a run before the measured one, so that the measured run
   * starts from learned command durations, as every run after a fleet's first does. 0: none.
   */
  warmupPerSubscription: number;
  /** Node pools of every cluster (per-pool scans one node of each). */
  pools: Parameters<typeof benchFleet>[2];
  seed?: number;
}

export interface FleetRunResult {
  options: FleetRunOptions;
  run: RunRecord;
  /** Real ms from the timer's start to the last cluster's report. */
  makespanMs: number;
  /** ARM requests during the run (after the workers were ready). */
  requests: RecordedRequest[];
  /** Real ms each run-command took in the simulator. */
  commandMs: number[];
  workers: WorkerReport[];
  /** CPU of the Azure side during the run, ms: this process (the simulator, the timer) and the two Azurite processes. */
  azureSideCpuMs: number;
  azureSideCpu: { simulatorMs: number; queueMs: number; tablesMs: number };
  /** Clusters not scanned, by reason, with one detail each. */
  notScanned: Record<string, { count: number; example: string }>;
}

function once<T>(child: ChildProcess, pick: (m: unknown) => T | undefined, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      const v = pick(m);
      if (v === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(v);
    };
    const onExit = (code: number | null): void => reject(new Error(`fleet bench: a worker exited (code ${code}) before ${what}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function forkTs(path: string, env: Record<string, string>): ChildProcess {
  return fork(path, [], {
    execArgv: ['--import', 'tsx', ...(process.env['FLEET_BENCH_PROF'] ? ['--cpu-prof', '--cpu-prof-dir=/tmp/fleetprof'] : [])],
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

const typed =
  <T extends { type: string }>(type: T['type']) =>
  (m: unknown): T | undefined =>
    (m as { type?: string }).type === type ? (m as T) : undefined;

async function childCpuMs(child: ChildProcess): Promise<number> {
  const r = once(child, typed<AzuriteChildCpu>('cpu'), 'it reported its CPU');
  child.send('cpu');
  return (await r).cpuMs;
}

export async function runFleet(o: FleetRunOptions): Promise<FleetRunResult> {
  const fleet = benchFleet(o.clusters, o.subscriptions, o.pools);
  // The queue and the tables each in an Azurite process of its own (azurite-child.ts).
  const queueAzurite = forkTs(AZURITE, {});
  const tableAzurite = forkTs(AZURITE, {});
  const stopAzurite = async (): Promise<void> => {
    for (const c of [queueAzurite, tableAzurite]) if (c.exitCode === null && c.connected) c.send('stop');
    await Promise.all([queueAzurite, tableAzurite].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  };
  const [q, t] = await Promise.all([
    once(queueAzurite, typed<AzuriteChildReady>('ready'), 'Azurite was ready'),
    once(tableAzurite, typed<AzuriteChildReady>('ready'), 'Azurite was ready'),
  ]);
  const azurite = {
    connectionString: azuriteConnectionString({ blobPort: t.blobPort, queuePort: q.queuePort, tablePort: t.tablePort }),
    stop: stopAzurite,
  };
  const sim = await startArmSimulator({
    fleet: fleet,
    seed: o.seed ?? 13,
    pageSize: 100,
    commandDurationMs: (o.commandSeconds * 1000) / o.timeScale,
    commandJitterMs: (o.commandJitterSeconds * 1000) / o.timeScale,
    throttleTimeScale: o.timeScale,
    commandResultBucket: o.commandResultBucket,
  });
  const children: ChildProcess[] = [];
  try {
    const [{ createRuntime }, { LocalQueueHost }] = await withoutTestModeWarnings(() =>
      Promise.all([import('../../src/runtime/runtime.js'), import('../../src/cli/host/queue-host.js')]),
    );
    const rt = await createRuntime(
      { AzureWebJobsStorage: azurite.connectionString },
      // The timer plans with the workers' (scaled) timing: a first poll's place in the schedule is a time.
      { credential: simulatorCredential(), armEndpoint: sim.endpoint, armCa: sim.ca, timing: scaledTiming(o.timeScale), log: () => undefined },
    );
    await new LocalQueueHost(rt, { concurrency: 1, maxDequeueCount: o.maxDequeueCount, visibilityTimeoutSeconds: 0, log: () => undefined }).ensureQueues();

    for (let i = 0; i < o.workers; i++) {
      const cfg: WorkerConfig = {
        instance: i,
        connectionString: azurite.connectionString,
        armEndpoint: sim.endpoint,
        caPath: sim.caPath,
        timeScale: o.timeScale,
        concurrency: o.concurrency,
        maxDequeueCount: o.maxDequeueCount,
        visibilityTimeoutSeconds: o.visibilityTimeoutSeconds,
      };
      children.push(forkTs(WORKER, { FLEET_BENCH_WORKER: JSON.stringify(cfg) }));
    }
    await Promise.all(children.map((c) => once(c, typed<{ type: 'ready' }>('ready'), 'it was ready')));

    const runOnce = async (only: string[] | null): Promise<{ run: RunRecord; t0: number }> => {
      const t0 = Date.now();
      // The timer's work, as scheduledScan does it, sends included (with their delays).
      // Paced per subscription as the timer paces it, on Azure's scaled clock (buckets refill timeScale times faster).
      const pace = { burst: DEFAULT_PACE.burst, perSecond: DEFAULT_PACE.perSecond * o.timeScale };
      const planned = await planRun(rt.deps, 'timer', { ...rt.planOptions, only, pace });
      await enqueueRun(rt.queue(SCAN_QUEUE), planned);
      const deadline = t0 + o.timeoutSeconds * 1000;
      // Reading the run lists one row per cluster done, which costs Azurite (this process) CPU that the
      // workers need: wait until the queue is empty (a cheap request), then read the run. The makespan
      // comes from the run's lastReportAt, not from when this loop notices.
      const queue = rt.queue(SCAN_QUEUE);
      await new Promise((r) => setTimeout(r, (o.commandSeconds * 1000) / o.timeScale));
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        // An overloaded Azurite may time a read out: that is no answer, so ask again until the deadline.
        const left = await queue
          .getProperties()
          .then((p) => p.approximateMessagesCount ?? 0)
          .catch(() => 1);
        const run = left === 0 ? await rt.store.getRun(planned.runId).catch(() => null) : null;
        if (run?.complete) return { run, t0 };
        if (Date.now() > deadline) {
          const now = await rt.store.getRun(planned.runId).catch(() => null);
          throw new Error(
            `fleet bench: the run was not complete after ${o.timeoutSeconds} s (${now?.done ?? '?'} of ${planned.messages.length} clusters done)`,
          );
        }
      }
    };
    if (o.warmupPerSubscription > 0) {
      const ids = fleet.clusters.slice(0, o.warmupPerSubscription * o.subscriptions).map((c) => clusterId(c));
      // Its few requests per subscription are refilled while its commands run: no wait is needed after it.
      await runOnce(ids);
    }

    const requestsBefore = sim.requests.length;
    const commandsBefore = sim.commandRuns.length;
    // Workers count CPU and invocations from here: the measured run only.
    await Promise.all(
      children.map((c) => {
        const marked = once(c, typed<{ type: 'marked' }>('marked'), 'it marked the start');
        c.send('mark');
        return marked;
      }),
    );
    for (const c of [queueAzurite, tableAzurite]) c.send('mark');
    const cpu0 = process.cpuUsage();
    const { run, t0 } = await runOnce(null);
    const cpu = process.cpuUsage(cpu0);
    const [queueMs, tablesMs] = await Promise.all([childCpuMs(queueAzurite), childCpuMs(tableAzurite)]);
    const simulatorMs = (cpu.user + cpu.system) / 1000;
    const notScanned: FleetRunResult['notScanned'] = {};
    for (const c of await rt.store.listClusterSummaries()) {
      if (c.outcome === 'scanned') continue;
      const k = `${c.outcome}:${c.reason ?? '?'}`;
      notScanned[k] = { count: (notScanned[k]?.count ?? 0) + 1, example: notScanned[k]?.example ?? c.detail ?? '' };
    }
    const reports = await Promise.all(
      children.map((c) => {
        const r = once(c, typed<WorkerReport>('report'), 'it reported');
        c.send('stop');
        return r;
      }),
    );
    // Let each worker exit by itself (a killed one would leave, e.g., its CPU profile unwritten).
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    return {
      options: o,
      run,
      makespanMs: Date.parse(run.lastReportAt ?? new Date().toISOString()) - t0,
      requests: sim.requests.slice(requestsBefore),
      commandMs: sim.commandRuns.slice(commandsBefore).map((c) => c.finishAt - c.startedAt),
      workers: reports,
      azureSideCpuMs: simulatorMs + queueMs + tablesMs,
      azureSideCpu: { simulatorMs, queueMs, tablesMs },
      notScanned,
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await sim.stop();
    await azurite.stop();
  }
}
