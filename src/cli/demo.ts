/**
 * `aks-fleet-scanner demo`: the whole pipeline on a simulated fleet, on this machine. Embedded
 * Azurite (in memory) and the ARM simulator stand in for Azure; the timer handler enqueues to the
 * real queue, worker handlers consume it, results land in the tables, and the API serves them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_DEQUEUE_COUNT, SCAN_QUEUE } from '../pipeline/queues.js';
import type { CliIo } from './io.js';
import { stopSignal, UsageError } from './io.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import type { PollTiming } from '../scan/run-command.js';
import { loadDevTooling } from './dev-tooling.js';
import { simulatorCredential } from './static-credential.js';
import { parseWebhookUrl } from '../alert/send.js';
import { errorLine } from '../model/errors.js';
import { deliverRunDigests } from '../alert/run-digest.js';
import { effectiveWaivers, loadWaiverConfig } from '../knowledge/index.js';
import { demoWaiverFile, driftFleet } from './demo-drift.js';
import { startDemoReceiver } from './demo-receiver.js';
import type { RunRecord } from '../store/types.js';

/** One digest the demo's rounds posted, as `--format json` prints it. */
interface DemoAlert {
  id: string;
  round: number;
  runId: string;
  channel: string;
  status: string;
  clusters: number;
  newFails: number;
  fixed: number;
  bytes: number;
}

function demoAlerts(run: RunRecord, round: number): DemoAlert[] {
  return run.alerts.map((a) => ({
    id: `${run.runId}/${a.channel}`,
    round,
    runId: run.runId,
    channel: a.channel,
    status: a.status,
    clusters: a.clusters,
    newFails: a.newFails,
    fixed: a.fixed,
    bytes: a.bytes,
  }));
}

/**
 * The demo runs Azure's clock this many times faster, everywhere at once: a kube-bench command
 * (~25 s in Azure) takes ~1 s, the scanner polls 25 times as often, and ARM's and AKS's throttling
 * buckets refill 25 times as fast. The simulator's Retry-After stays honest (the bucket's own
 * refill time, at least 1 s, as header values are whole seconds), so a fleet of 2000 clusters is
 * paced by throttling as in Azure instead of failing as throttled.
 */
export const DEMO_TIME_SCALE = 25;
const AZURE_COMMAND_MS = 25_000;
export const DEMO_POLL_TIMING: PollTiming = {
  firstPollDelayMs: DEFAULT_POLL_TIMING.firstPollDelayMs / DEMO_TIME_SCALE,
  pollIntervalMs: DEFAULT_POLL_TIMING.pollIntervalMs / DEMO_TIME_SCALE,
};

/** Workers: the Function app scales out with the queue; locally, enough to keep a large fleet's commands in flight. */
export function demoConcurrency(clusters: number): number {
  return Math.min(32, Math.max(8, Math.ceil(clusters / 16)));
}

export async function demoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      clusters: { type: 'string' },
      once: { type: 'boolean' },
      format: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      scans: { type: 'string' },
      webhook: { type: 'string' },
    },
  });
  const clusters = values.clusters === undefined ? 30 : Number(values.clusters);
  if (!Number.isInteger(clusters) || clusters < 1 || clusters > 2000)
    throw new UsageError(`--clusters must be a whole number from 1 to 2000, not "${values.clusters}"`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}"`);
  const port = values.port === undefined ? 7071 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port number, not "${values.port}"`);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number, not "${values.seed}"`);
  const rounds = values.scans === undefined ? 1 : Number(values.scans);
  if (rounds !== 1 && rounds !== 2) throw new UsageError(`--scans must be 1 or 2, not "${values.scans}"`);
  if (values.webhook !== undefined) {
    try {
      parseWebhookUrl(values.webhook, '--webhook');
    } catch (e) {
      throw new UsageError(errorLine(e));
    }
  }

  const say = (l: string) => io.stderr.write(`${l}\n`);
  const { withoutTestModeWarnings } = await import('./host/quiet.js');
  // The dev tooling first: without it (the deployed package) the answer is one line, before anything starts.
  const [{ startAzurite }, sim] = await Promise.all([
    loadDevTooling('demo', () => import('../local/azurite.js')),
    loadDevTooling('demo', () => import('../simulator/index.js')),
  ]);
  const [{ createRuntime, setSharedRuntime }, { LocalQueueHost }, { serveHttp }, { fleetSummaryBody, renderFleetSummaryText }] = await withoutTestModeWarnings(
    () => Promise.all([import('../runtime/runtime.js'), import('./host/queue-host.js'), import('./host/http-host.js'), import('./host/summary.js')]),
  );
  // Take the port first: finding it busy after the whole scan would waste the run.
  const server = values.once ? null : await serveHttp(port, io);
  const azurite = await startAzurite();
  const fleet = sim.defaultDemoFleet({ clusters, seed });
  const armOptions = {
    seed,
    commandDurationMs: (AZURE_COMMAND_MS * 0.8) / DEMO_TIME_SCALE,
    commandJitterMs: (AZURE_COMMAND_MS * 0.4) / DEMO_TIME_SCALE,
    throttleScale: DEMO_TIME_SCALE,
  };
  let arm = await sim.startArmSimulator({ fleet, ...armOptions });
  // Without --webhook the digests go to a loopback receiver, so the demo shows what would be posted.
  const receiver = values.webhook === undefined ? await startDemoReceiver() : null;
  const webhookUrl = values.webhook ?? (receiver as { url: string }).url;
  // The waiver holds today; round 2 runs on a clock one day on, so it has expired by then.
  const dir = await mkdtemp(join(tmpdir(), 'aksfs-demo-'));
  const waiverFile = join(dir, 'waivers.yaml');
  await writeFile(waiverFile, demoWaiverFile(new Date()));
  const cleanup = async () => {
    await server?.close();
    setSharedRuntime(undefined);
    await arm.stop();
    await azurite.stop();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    say(`demo: Azurite (in memory) on 127.0.0.1:${azurite.tablePort}, ARM simulator at ${arm.endpoint}, ${clusters} simulated clusters`);
    const alerts: DemoAlert[] = [];
    let host: InstanceType<typeof LocalQueueHost> | null = null;
    for (let round = 1; round <= rounds; round++) {
      const offsetMs = (round - 1) * 86_400_000;
      if (round > 1) {
        const drift = driftFleet(fleet);
        await arm.stop();
        arm = await sim.startArmSimulator({ fleet: drift.fleet, ...armOptions });
        say(
          `demo: the fleet drifted: new FAILs on ${drift.newlyFailing.join(', ') || 'none'}; fixed on ${drift.fixed.join(', ') || 'none'}; ` +
            `${drift.upgraded ?? 'no cluster'} upgraded 1.31 → 1.32; ${drift.scanFails ?? 'no cluster'} now refuses the run command; the demo waiver expired (clock +1 day)`,
        );
      }
      const rt = await createRuntime(
        {
          ...io.env,
          AzureWebJobsStorage: azurite.connectionString,
          AZURE_STORAGE_CONNECTION_STRING: '',
          SCAN_SUBSCRIPTIONS: '',
          SCAN_EXCLUDE_SUBSCRIPTIONS: '',
          WAIVERS_FILE: waiverFile,
        },
        {
          credential: simulatorCredential(),
          armEndpoint: arm.endpoint,
          armCa: arm.ca,
          timing: DEMO_POLL_TIMING,
          log: () => undefined,
          teamsWebhookUrl: webhookUrl,
          now: () => new Date(Date.now() + offsetMs),
        },
      );
      // The simulated nodes fail only checks AKS manages, which the shipped default waivers cover:
      // the demo's digests apply its own waiver file alone, so that the fleet's drift shows.
      if (rt.deps.alerts) {
        const demoWaivers = effectiveWaivers(loadWaiverConfig(waiverFile), false);
        rt.deps.alerts.waivers = async () => demoWaivers;
      }
      setSharedRuntime(rt);
      await rt.store.ensureTables();
      host = new LocalQueueHost(rt, {
        concurrency: demoConcurrency(clusters),
        maxDequeueCount: MAX_DEQUEUE_COUNT,
        visibilityTimeoutSeconds: 1,
        log: () => undefined,
      });
      await host.ensureQueues();
      const t0 = Date.now();
      const queued = await host.fireTimer();
      say(`demo: round ${round}: timer fired: ${queued} message(s) on the ${SCAN_QUEUE} queue`);
      const drained = await host.drain();
      say(
        `demo: workers handled ${drained.handled - drained.followUps} message(s) and ${drained.followUps} follow-up step(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s (${drained.failedAttempts} failed attempt(s), ${drained.poisoned} to the poison queue); ARM requests: ${rt.arm.stats.requests}`,
      );
      const [run] = await rt.store.listRuns(1);
      if (run && rt.deps.alerts) {
        // The last worker posted the digests; a run left incomplete is what housekeeping's deadline is for.
        await deliverRunDigests(run.runId, { store: rt.store, now: rt.deps.now, log: () => undefined, alerts: rt.deps.alerts }, { force: true });
        const after = await rt.store.getRun(run.runId);
        if (after) alerts.push(...demoAlerts(after, round));
        for (const a of alerts.filter((x) => x.round === round))
          say(
            `demo: round ${round}: Teams digest for ${a.channel}: ${a.status}, ${a.newFails} new FAIL(s) on ${a.clusters} cluster(s), ${a.fixed} fixed something, ${a.bytes} bytes`,
          );
      }
    }

    const body = await fleetSummaryBody();
    io.stdout.write(format === 'json' ? JSON.stringify({ ...body, alerts }, null, 2) + '\n' : renderFleetSummaryText(body));
    if (!server) return 0;

    say(
      `demo: serving the API until Ctrl-C:\n  ${server.url}/api/dashboard\n  ${server.url}/api/summary\n  ${server.url}/api/clusters\n  ${server.url}/api/openapi.json\n  POST ${server.url}/api/scans scans the simulated fleet again`,
    );
    // A worker keeps consuming the queue, so POST /api/scans does what it does in Azure.
    const worker = (host as InstanceType<typeof LocalQueueHost>).runUntil(stopSignal());
    await worker;
    return 0;
  } finally {
    await cleanup();
  }
}
