/**
 * The serverless pipeline as plain functions: the timer plans a run and returns the messages to
 * enqueue; the worker runs one step of a cluster's scan per message, sending the next step with a
 * delay, and the last step stores it; the poison handler records what the worker could not. Functions bindings live in functions/, which only call these.
 */
import type { ArmClients } from '../azure/arm.js';
import type { ClusterSelectionOptions } from '../discover/select.js';
import { selectClusters } from '../discover/select.js';
import type { ClusterRef, ClusterScan } from '../model/cluster.js';
import type { ClusterScanOptions } from '../scan/scan-cluster.js';
import type { InFlight } from '../scan/steps/progress.js';
import { continueScan, startScan } from '../scan/steps/steps.js';
import type { RunTrigger } from '../model/run.js';
import type { Store } from '../store/index.js';
import type { ReadStep, SentStep } from '../store/steps.js';
import type { AlertSettings } from '../alert/run-digest.js';
import { deliverRunDigests, recordClusterChange } from '../alert/run-digest.js';
import { classifyError } from '../store/errors.js';
import { classifierFor, classifyUnversioned } from './classify.js';
import { newRunId, scanIdFor } from './ids.js';
import type { Pace } from './pacing.js';
import { DEFAULT_PACE, expectedLoad, paceRun } from './pacing.js';
import { DEFAULT_POLL_TIMING } from '../scan/run-command.js';
import type { ScanMessage } from './message.js';
import type { StepQueue } from './step-queue.js';
import { MAX_MESSAGE_JSON_BYTES, messageBytes } from './step-queue.js';
import { clusterRefSchema, parseScanMessage, scanMessage } from './message.js';
import { errorMessage, errorLine, InputError } from '../model/errors.js';

export type { AlertSettings };

export interface PipelineDeps {
  arm: ArmClients;
  store: Store;
  now: () => Date;
  log: (line: string) => void;
  /** Teams digests of each run's changes; none when unset. */
  alerts?: AlertSettings;
  /** Runs after ARM accepted a POST and before its command id is recorded: tests kill the worker here. */
  afterPost?: (cmd: InFlight) => void;
  /** Runs after a step's follow-up (number `seq`) was sent and before it is recorded: tests kill the worker here. */
  afterSend?: (seq: number) => void | Promise<void>;
}

export interface RunPlanOptions extends Omit<ClusterSelectionOptions, 'ids'> {
  /** Scan only these cluster ids (POST /api/scans with a list), by selectClusters' rule; all in scope when null. */
  only?: string[] | null;
  /** The workers' scan options: how many commands (and polls) each cluster will need, for pacing. One command each when unset. */
  scan?: ClusterScanOptions;
  /** Per-subscription pacing of the first messages (pacing.ts); DEFAULT_PACE when unset, none when null. */
  pace?: Pace | null;
}

export interface PlannedRun {
  runId: string;
  /** In the order to send them: by delay, subscriptions interleaved. */
  messages: ScanMessage[];
  /** Each message's visibility delay (ms), from its subscription's schedule (pacing.ts). */
  delaysMs: number[];
  /** Subscriptions whose clusters could not be listed. */
  problems: { subscriptionId: string; message: string }[];
  /** Ids of `only` that were not found (deleted, or not visible to this identity). */
  missing: string[];
}

export async function planRun(deps: PipelineDeps, trigger: RunTrigger, opts: RunPlanOptions): Promise<PlannedRun> {
  const started = deps.now();
  const runId = newRunId(started);
  const { only, scan: _scan, pace: _pace, ...scope } = opts;
  const fleet = await selectClusters(deps.arm, { ...scope, ids: only ?? null });
  // The last run's command durations set this run's first polls (steps/durations.ts).
  const durations = await deps.store.steps.learn(runId).catch((e: unknown) => {
    deps.log(`run ${runId}: command durations could not be learned, first polls use the default timing: ${errorLine(e)}`);
    return {};
  });
  const all = fleet.clusters.map((c, i) => scanMessage(runId, scanIdFor(runId, i), c, durations));
  const scan = opts.scan ?? ONE_COMMAND;
  const paced = paceRun(
    all.map((m) => ({ subscriptionId: m.cluster.subscriptionId, load: expectedLoad(m.cluster, m.scanId, scan, m.durations), key: m.scanId })),
    opts.pace === null ? { burst: Number.POSITIVE_INFINITY, perSecond: 1 } : (opts.pace ?? DEFAULT_PACE),
  );
  const delaysMs = paced.order.map((i) => paced.delaysMs[i] as number);
  // The first poll's place in the subscription's schedule, when it is later than the command's expected end; the
  // planned start anchors the cluster's deadline (steps.ts startScan), whichever delivery runs the first step.
  const messages = paced.order.map((i, n) => {
    const m: ScanMessage = { ...(all[i] as ScanMessage), plannedStart: new Date(started.getTime() + (delaysMs[n] ?? 0)).toISOString() };
    const after = paced.firstPollAfterMs[i] as number;
    return after > 0 && opts.pace !== null ? { ...m, firstPollAfterMs: after } : m;
  });
  await deps.store.startRun({ runId, trigger, startedAt: started.toISOString(), queued: messages.length });
  for (const p of fleet.problems) deps.log(`subscription ${p.subscriptionId}: clusters could not be listed: ${p.message}`);
  if (fleet.missing.length) deps.log(`run ${runId}: not found (deleted, or not visible to this identity): ${fleet.missing.join(', ')}`);
  const last = Math.max(0, ...delaysMs);
  deps.log(
    `run ${runId}: ${messages.length} cluster(s) in ${fleet.subscriptions.length} subscription(s) queued${last > 0 ? `, paced per subscription over ${Math.round(last / 1000)} s` : ''}`,
  );
  return { runId, messages, delaysMs, problems: fleet.problems, missing: fleet.missing };
}

/** Pacing without the workers' options: per-pool commands, the default timing. */
const ONE_COMMAND: ClusterScanOptions = { benchmark: 'auto', selection: 'per-pool', timing: DEFAULT_POLL_TIMING, deadlineMs: 0 };

/** Which delivery of the message this is, as the queue trigger reports it. */
export interface Delivery {
  dequeueCount: number;
  maxDequeueCount: number;
  /** The queue message's id (trigger metadata `id`): tells a duplicated step from the one recorded as sent. */
  messageId?: string;
}

/**
 * Runs one step of a cluster's scan from its message: the first message plans and POSTs, a
 * follow-up polls (src/scan/steps). A step that must wait sends the next message through `queue`,
 * invisible until the commands should be done, and returns null; the last step stores the scan
 * and returns it. Safe to redeliver: command ids are recorded before anything waits and reused,
 * scan ids are deterministic and writes are upserts.
 *
 * An error is classified (store/errors.ts): a deterministic one (input, schema, size) is recorded as
 * the cluster's failed outcome on this delivery and the message completes, since every redelivery
 * would fail the same way; a transient one (network, throttling, storage unavailable) is thrown for
 * the host to redeliver, and recorded on the last delivery instead of leaving only "it went to the
 * poison queue".
 */
export async function processScanStep(
  raw: unknown,
  deps: PipelineDeps,
  scanOpts: ClusterScanOptions,
  delivery: Delivery | undefined,
  queue: StepQueue,
): Promise<ClusterScan | null> {
  const msg = parseScanMessage(raw);
  const key = { runId: msg.runId, scanId: msg.scanId };
  const seq = msg.step?.seq ?? 0;
  let sent: ReadStep | null = null;
  // After the outcome is stored, never before (a death between would lose it): any older step delivered later is dropped.
  const ended = async (scan: ClusterScan): Promise<ClusterScan> => {
    if (!queue.inProcess) await deps.store.steps.markStep(key, { seq, done: true }, sent);
    return scan;
  };
  try {
    // A first message on its first delivery cannot have sent a follow-up yet: no read (one storage request a cluster saved).
    const firstTry = seq === 0 && delivery?.dequeueCount === 1;
    sent = queue.inProcess || firstTry ? null : await deps.store.steps.lastStep(key);
    if (sent && stale(seq, sent, delivery)) {
      // The scan was stored, a redelivered step whose follow-up already went out, or a copy of the
      // step that did: the recorded chain carries the scan on, and a second chain would poll (and store) it twice.
      deps.log(
        `cluster ${msg.cluster.id}: step ${seq} dropped, ${sent.done ? `scan ${msg.scanId} was already stored` : `step ${sent.seq} of scan ${msg.scanId} was already sent`} (a redelivered or duplicated message)`,
      );
      return null;
    }
    const cluster = msg.clusterStored ? await storedCluster(msg, deps) : msg.cluster;
    const task = {
      cluster,
      key,
      ...(msg.durations ? { durations: msg.durations } : {}),
      ...(msg.firstPollAfterMs ? { firstPollAfterMs: msg.firstPollAfterMs } : {}),
      ...(msg.plannedStart ? { plannedStart: msg.plannedStart } : {}),
    };
    const stepDeps = { arm: deps.arm, now: deps.now, records: deps.store.steps, ...(deps.afterPost ? { afterPost: deps.afterPost } : {}) };
    const r = msg.step ? await continueScan(task, msg.step, stepDeps, scanOpts) : await startScan(task, stepDeps, scanOpts);
    if (r.kind === 'wait') {
      let next: ScanMessage = { ...msg, step: { ...r.progress, seq: seq + 1 } };
      if (!msg.clusterStored && messageBytes(next) > MAX_MESSAGE_JSON_BYTES) {
        // Progress pushed a cluster with large tags past the queue's limit: keep the cluster aside.
        await deps.store.steps.saveCluster({ runId: msg.runId, scanId: msg.scanId }, msg.cluster);
        next = { ...next, cluster: { ...msg.cluster, tags: {} }, clusterStored: true };
      }
      const messageId = await queue.send(next, r.delayMs);
      await deps.afterSend?.(seq + 1);
      // After the send: recorded first, a death between would lose the scan. A worker that dies before
      // this record leaves its step to be redelivered while the follow-up runs; the follow-up (a higher
      // number) is let through, and the record only moves forward, so one of the two chains survives.
      if (!queue.inProcess) await deps.store.steps.markStep(key, { seq: seq + 1, ...(messageId ? { messageId } : {}) }, sent);
      return null;
    }
    return await ended(await storeScan({ ...msg, cluster }, { ...r.scan, cluster }, deps));
  } catch (e) {
    const why = errorLine(e);
    const kind = classifyError(e);
    deps.log(`cluster ${msg.cluster.id}: the worker failed (delivery ${delivery?.dequeueCount ?? '?'}, ${kind}): ${why}`);
    if (kind === 'deterministic') {
      return ended(await recordFailure(msg, deps, 'internal', `the scan failed in a way a retry would repeat, so it was not retried: ${why}`, 'failed'));
    }
    if (!delivery || delivery.dequeueCount < delivery.maxDequeueCount) throw e;
    return ended(
      await recordFailure(msg, deps, 'internal', `the scan worker failed on all ${delivery.maxDequeueCount} deliveries; last error: ${why}`, 'failed'),
    );
  }
}

/**
 * Whether step `seq` is superseded by the recorded one: the scan is stored, or a later step went out,
 * or this step went out under another message id (a copy). A step numbered above the record runs: its
 * sender died between the send and the record.
 */
function stale(seq: number, sent: SentStep, delivery: Delivery | undefined): boolean {
  if (sent.done) return true;
  if (sent.seq !== seq) return sent.seq > seq;
  return Boolean(sent.messageId && delivery?.messageId && sent.messageId !== delivery.messageId);
}

async function storedCluster(msg: ScanMessage, deps: PipelineDeps): Promise<ClusterRef> {
  const r = clusterRefSchema.safeParse(await deps.store.steps.cluster({ runId: msg.runId, scanId: msg.scanId }));
  if (!r.success) throw new InputError('stored cluster of a scan step', r.error.issues[0]?.message ?? 'invalid');
  return r.data;
}

/**
 * Every step of one cluster's scan in this process, sleeping between them where the worker would
 * send a delayed message: for tests and tools that need the scan done when the call returns.
 */
export async function processScanMessage(raw: unknown, deps: PipelineDeps, scanOpts: ClusterScanOptions, delivery?: Delivery): Promise<ClusterScan> {
  let next: { msg: ScanMessage; delayMs: number } | undefined;
  const queue: StepQueue = {
    inProcess: true,
    send: async (msg, delayMs) => {
      next = { msg, delayMs };
      return undefined;
    },
  };
  let message = raw;
  let d = delivery;
  for (;;) {
    next = undefined;
    const scan = await processScanStep(message, deps, scanOpts, d, queue);
    if (scan) return scan;
    if (!next) throw new Error('a scan step neither finished nor sent its next step');
    const { msg, delayMs } = next;
    await new Promise((r) => setTimeout(r, delayMs));
    message = msg;
    d = delivery ? { dequeueCount: 1, maxDequeueCount: delivery.maxDequeueCount } : undefined;
  }
}

/**
 * The end of the last step: store the scan, alert on its new FAILs, count the cluster done. The one
 * place these happen (the contract with the alerts lane).
 */
async function storeScan(msg: ScanMessage, scan: ClusterScan, deps: PipelineDeps): Promise<ClusterScan> {
  await deps.store.saveClusterScan(scan, { runId: msg.runId, scanId: msg.scanId }, classifierFor(msg.cluster));
  // Redelivery is safe: the change is an upsert and the run's alert ledger keeps a new FAIL from being posted twice.
  if (deps.alerts) await alertOnNewFailures(msg, msg.scanId, deps, deps.alerts);
  await deps.store.recordClusterDone(msg.runId, msg.cluster.id, scan.outcome.kind);
  if (deps.alerts) await postRunDigestsIfComplete(msg, deps, deps.alerts);
  const o = scan.outcome;
  deps.log(`cluster ${msg.cluster.id}: ${o.kind}${o.kind === 'scanned' ? ` (${o.nodes.length} node(s))` : ` (${o.reason}: ${o.detail})`}`);
  return scan;
}

/**
 * Stores the cluster's change for its run's digest (src/alert/run-digest.ts). Alerting problems are
 * logged, never fatal: the scan is stored, and a redelivery would rescan the cluster.
 */
async function alertOnNewFailures(msg: ScanMessage, scanId: string, deps: RecordDeps, alerts: AlertSettings): Promise<void> {
  try {
    await recordClusterChange({ runId: msg.runId, scanId, cluster: msg.cluster }, { ...deps, alerts });
  } catch (e) {
    deps.log(`cluster ${msg.cluster.id}: its change could not be stored for the run's Teams digest: ${errorLine(e)}`);
  }
}

/** The run's last cluster posts the run's digests; the housekeeping timer covers a run that never completes. */
async function postRunDigestsIfComplete(msg: ScanMessage, deps: RecordDeps, alerts: AlertSettings): Promise<void> {
  try {
    await deliverRunDigests(msg.runId, { ...deps, alerts });
  } catch (e) {
    deps.log(`run ${msg.runId}: the Teams digests could not be delivered now; housekeeping retries: ${errorLine(e)}`);
  }
}

/** What recording an outcome needs: no ARM. */
export type RecordDeps = Pick<PipelineDeps, 'store' | 'now' | 'log' | 'alerts'>;

/** Records a failed outcome for the message's cluster under its own scan id (`<scanId>-<suffix>`). */
export async function recordFailure(
  msg: ScanMessage,
  deps: RecordDeps,
  reason: 'internal' | 'poison-message',
  detail: string,
  suffix: string,
): Promise<ClusterScan> {
  const at = deps.now().toISOString();
  const scan: ClusterScan = { cluster: msg.cluster, benchmark: null, outcome: { kind: 'failed', reason, detail }, startedAt: at, finishedAt: at };
  // Its own scan id: a scan that was stored before a later step failed must not be overwritten.
  await deps.store.saveClusterScan(scan, { runId: msg.runId, scanId: `${msg.scanId}-${suffix}` }, classifyUnversioned);
  if (deps.alerts) await alertOnNewFailures(msg, `${msg.scanId}-${suffix}`, deps, deps.alerts);
  await deps.store.recordClusterDone(msg.runId, msg.cluster.id, 'failed');
  if (deps.alerts) await postRunDigestsIfComplete(msg, deps, deps.alerts);
  deps.log(`cluster ${msg.cluster.id}: failed (${reason}: ${detail})`);
  return scan;
}

/**
 * A message that reached the poison queue: the worker could not even record its failure (or the
 * host gave up on it). Recorded as a failed outcome, not lost.
 */
export async function recordPoisonMessage(raw: unknown, deps: RecordDeps): Promise<ClusterScan | null> {
  let msg: ScanMessage;
  try {
    msg = parseScanMessage(raw, 'poison message');
  } catch (e) {
    deps.log(`poison queue: an unreadable message was dropped: ${errorMessage(e)}`);
    return null;
  }
  return recordFailure(
    msg,
    deps,
    'poison-message',
    'every delivery of this message failed and the host moved it to the poison queue; the scanCluster logs have the errors',
    'poison',
  );
}
