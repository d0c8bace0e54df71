/**
 * A cluster's scan as short steps, none of which waits for a command:
 *   start    — skip decision, plan, POST the first batches (up to PARALLEL_BATCHES in flight), record
 *              each command id as soon as ARM accepted it;
 *   continue — GET the results that are due, retry a command whose pod never started (attempt 2),
 *              POST the next batches, and when every batch is done parse and combine them.
 * Each step returns either the finished ClusterScan or the progress to carry in the next message
 * and how long that message should stay invisible. The Functions worker (src/pipeline), the local
 * queue host and the CLI's in-process scan (drive.ts) run these same functions.
 */
import type { RestError } from '@azure/core-rest-pipeline';
import type { ArmClients } from '../../azure/arm.js';
import { ArmThrottledError, retryAfterMsOf } from '../../azure/arm.js';
import { skipDecision } from '../../discover/filters.js';
import type { ClusterOutcome, ClusterRef, ClusterScan } from '../../model/cluster.js';
import { errorLine } from '../../model/errors.js';
import { buildRunCommandRequest } from '../incluster/request.js';
import type { ScanEnv } from '../incluster/contract.js';
import { failureFromError, ScanError } from '../failure.js';
import type { ScanPlan } from '../plan.js';
import { planClusterScan } from '../plan.js';
import type { CommandResult } from '../run-command.js';
import { pollCommand, postCommand } from '../run-command.js';
import type { ClusterScanOptions, CommandAttempt } from '../scan-cluster.js';
import { AKS_SERVER_SCOPE, PARALLEL_BATCHES } from '../scan-cluster.js';
import type { BatchPart } from './combine.js';
import { combineBatches, parseBatch } from './combine.js';
import { expectedMs, jittered } from './durations.js';
import type { InFlight, LearnedDurations, Progress } from './progress.js';
import type { StepKey, StepRecords } from './records.js';
import { guarded, StepRecordsError } from './records.js';

/**
 * Times a step is put back on the queue after a 429 before the cluster fails as throttled. A 429
 * costs one short invocation and no instance time while it waits, so the bound is generous; the
 * cluster's deadline ends a scan that never gets through first.
 */
export const MAX_THROTTLE_BACKOFFS = 30;

export interface ScanTask {
  cluster: ClusterRef;
  /** Whose step records; key.scanId also seeds the batches' in-cluster scan ids (Jobs kb-<id>-<n>). */
  key: StepKey;
  /** The fleet's learned command durations, for the first poll of a command. */
  durations?: LearnedDurations;
  /** When the first step was planned to run (ISO): the deadline counts from here, never from a redelivery. */
  plannedStart?: string;
  /** The first poll's place in the subscription's schedule, after the POST (ms): the first step waits at least this long. */
  firstPollAfterMs?: number;
}

export interface StepDeps {
  arm: ArmClients;
  now: () => Date;
  records: StepRecords;
  /** Told of every run-command attempt, for the record of what was tried. */
  onCommand?: (a: CommandAttempt) => void;
  /** Told how long each finished command ran (the in-process scan learns from it). */
  onDuration?: (units: number, ms: number) => void;
  /** Runs after ARM accepted a POST and before its id is recorded: a test kills the worker here. */
  afterPost?: (cmd: InFlight) => void;
  random?: () => number;
}

export type StepResult = { kind: 'wait'; progress: Progress; delayMs: number } | { kind: 'done'; scan: ClusterScan };

function timeoutOutcome(opts: ClusterScanOptions): ClusterOutcome {
  return { kind: 'failed', reason: 'timeout', detail: `not done within the cluster deadline of ${Math.round(opts.deadlineMs / 1000)} s` };
}

export async function startScan(task: ScanTask, deps: StepDeps, opts: ClusterScanOptions): Promise<StepResult> {
  const now = deps.now();
  const startedAt = now.toISOString();
  const plan = planClusterScan(task.cluster, task.key.scanId, opts);
  const skip = skipDecision(task.cluster, opts.filter);
  if (skip) return finished(task, plan, startedAt, { kind: 'skipped', reason: skip.reason, detail: skip.detail }, deps);
  // Anchored where no delivery can move it: a first message delivered again and again (its workers
  // dying) would otherwise POST ever later, past the time the first attempt's Jobs are kept
  // (ttlSecondsAfterFinished), and a late second POST would run a second set of them.
  const planned = task.plannedStart ? Date.parse(task.plannedStart) : Number.NaN;
  const anchor = Number.isFinite(planned) ? Math.min(planned, now.getTime()) : now.getTime();
  const progress: Progress = {
    startedAt,
    deadlineAt: new Date(anchor + opts.deadlineMs).toISOString(),
    inFlight: [],
    next: 0,
    finished: [],
    backoffs: 0,
  };
  return advance(task, plan, progress, deps, opts, false);
}

export async function continueScan(task: ScanTask, progress: Progress, deps: StepDeps, opts: ClusterScanOptions): Promise<StepResult> {
  return advance(task, planClusterScan(task.cluster, task.key.scanId, opts), progress, deps, opts, true);
}

function finished(task: ScanTask, plan: ScanPlan, startedAt: string, outcome: ClusterOutcome, deps: StepDeps): StepResult {
  return { kind: 'done', scan: { cluster: task.cluster, benchmark: plan.benchmark, outcome, startedAt, finishedAt: deps.now().toISOString() } };
}

/** Nodes (all) or node groups (per-pool) in a batch: what a command's run time grows with. */
function unitsOf(plan: ScanPlan, env: ScanEnv): number {
  return Math.max(0, Math.min(env.batchSize, plan.units - env.batchIndex * env.batchSize));
}

function retryAfterOf(e: unknown): number {
  if (e instanceof ArmThrottledError) return e.retryAfterMs;
  const headers = (e as Partial<RestError>).response?.headers;
  return headers ? retryAfterMsOf(headers) : 0;
}

/** One step: poll what is due, retry or post batches, and finish or say when to come back. */
async function advance(task: ScanTask, plan: ScanPlan, progress: Progress, deps: StepDeps, opts: ClusterScanOptions, poll: boolean): Promise<StepResult> {
  const p: Progress = { ...progress, inFlight: [...progress.inFlight], finished: [...progress.finished] };
  const records = guarded(deps.records);
  const nowMs = (): number => deps.now().getTime();
  const remaining = Date.parse(p.deadlineAt) - nowMs();
  if (remaining <= 0) return finished(task, plan, p.startedAt, timeoutOutcome(opts), deps);
  const signal = AbortSignal.timeout(remaining);
  const client = deps.arm.containerService(task.cluster.subscriptionId);
  const expected = (units: number): number => expectedMs(task.durations, units) ?? opts.timing.firstPollDelayMs;
  const inHand = new Map<number, { part: BatchPart; result: CommandResult }>();
  let retryAfter = 0;
  let token: Promise<string> | undefined;

  const post = async (env: ScanEnv, attempt: number): Promise<InFlight> => {
    for (let a = attempt; ; a++) {
      try {
        if (task.cluster.aadManaged) token ??= clusterToken(deps, signal);
        const body = buildRunCommandRequest(env, task.cluster.aadManaged ? { clusterToken: await token } : {});
        const posted = await postCommand(client, task.cluster, body, signal);
        const cmd: InFlight = { batch: env.batchIndex, attempt: a, commandId: posted.commandId, postedAt: deps.now().toISOString(), units: unitsOf(plan, env) };
        try {
          deps.afterPost?.(cmd);
        } catch (e) {
          // The hook stands for the worker dying here: the step ends without concluding anything.
          throw new StepRecordsError(e);
        }
        // Recorded before anything waits: a redelivered step finds it and does not POST again.
        await records.recordCommand(task.key, cmd);
        retryAfter = Math.max(retryAfter, posted.retryAfterMs);
        return cmd;
      } catch (e) {
        if (e instanceof StepRecordsError || !retryNotStarted(task, env.batchIndex, a, e, deps)) throw e;
      }
    }
  };

  try {
    if (plan.imageProblem) throw new ScanError('bad-setting', plan.imageProblem);
    if (poll) {
      for (const cmd of [...p.inFlight]) {
        // A batch posted in a later step is not due yet: its first poll waits for its expected run time.
        if (Date.parse(cmd.postedAt) + expected(cmd.units) > nowMs() + opts.timing.pollIntervalMs / 2) continue;
        const env = plan.commands[cmd.batch];
        if (!env) throw new ScanError('internal', `the message names batch ${cmd.batch}, which the plan of ${plan.commands.length} batch(es) does not have`);
        let answer;
        try {
          answer = await pollCommand(client, task.cluster, cmd.commandId, signal);
        } catch (e) {
          if (!retryNotStarted(task, cmd.batch, cmd.attempt, e, deps)) throw e;
          p.inFlight[p.inFlight.indexOf(cmd)] = await post(env, cmd.attempt + 1);
          continue;
        }
        if (answer.state === 'running') {
          retryAfter = Math.max(retryAfter, answer.retryAfterMs);
          continue;
        }
        deps.onCommand?.({ clusterId: task.cluster.id, batch: cmd.batch, attempt: cmd.attempt, outcome: 'done' });
        // ARM's own startedAt/finishedAt: the time from POST to this poll would include the poll's
        // lateness, and learning from it would push the next first polls later and later.
        const ran = answer.durationMs ?? Math.max(0, nowMs() - Date.parse(cmd.postedAt));
        deps.onDuration?.(cmd.units, ran);
        await records.commandDone(task.key, cmd, ran);
        inHand.set(cmd.batch, { part: parseBatch(task.cluster.name, env, plan.benchmark, answer.result), result: answer.result });
        p.inFlight.splice(p.inFlight.indexOf(cmd), 1);
      }
    }
    let recorded: Awaited<ReturnType<StepRecords['commands']>> | undefined;
    while (p.inFlight.length < PARALLEL_BATCHES && p.next < plan.commands.length) {
      const env = plan.commands[p.next] as ScanEnv;
      recorded ??= await records.commands(task.key);
      // A redelivered or duplicated step: the command of this batch was already accepted.
      const again = recorded.find((r) => r.batch === env.batchIndex);
      p.inFlight.push(
        again ? { batch: again.batch, attempt: again.attempt, commandId: again.commandId, postedAt: again.postedAt, units: again.units } : await post(env, 1),
      );
      p.next++;
    }
    if (p.inFlight.length === 0 && p.next >= plan.commands.length) {
      const stored = await records.outputs(
        task.key,
        p.finished.filter((b) => !inHand.has(b)),
      );
      const parts = plan.commands.map((env) => {
        const held = inHand.get(env.batchIndex);
        if (held) return held.part;
        const out = stored.get(env.batchIndex);
        if (!out) throw new ScanError('internal', `the output of batch ${env.batchIndex} is missing from the step records`);
        return parseBatch(task.cluster.name, env, plan.benchmark, out);
      });
      return finished(task, plan, p.startedAt, combineBatches(plan, parts), deps);
    }
    for (const [batch, held] of inHand) {
      await records.saveOutput(task.key, batch, held.result);
      if (!p.finished.includes(batch)) p.finished.push(batch);
    }
    // The first step also keeps to the first poll's slot in the subscription's schedule (pacing.ts).
    const slot = poll ? 0 : (task.firstPollAfterMs ?? 0);
    const dueIn = Math.min(...p.inFlight.map((c) => Date.parse(c.postedAt) + Math.max(expected(c.units), slot) - nowMs()));
    const delay = Math.max(opts.timing.pollIntervalMs, retryAfter, dueIn);
    // Past the deadline the next step only records the timeout: no need to wait longer for it.
    return { kind: 'wait', progress: p, delayMs: Math.min(jittered(delay, deps.random), Math.max(0, Date.parse(p.deadlineAt) - nowMs())) };
  } catch (e) {
    // Storage failed, not the scan: the step is delivered again.
    if (e instanceof StepRecordsError) throw e.cause;
    if (signal.aborted) return finished(task, plan, p.startedAt, timeoutOutcome(opts), deps);
    if ((e as { statusCode?: unknown }).statusCode === 429 && progress.backoffs < MAX_THROTTLE_BACKOFFS) {
      // Throttled: give the subscription's bucket the time ARM asked for without holding a worker,
      // from where this step began (recorded commands are found again by batch). Never earlier
      // than Retry-After; the jitter spreads the clusters it refused over the following seconds.
      const delay = jittered(Math.max(1000, retryAfterOf(e)), deps.random);
      if (delay < remaining) {
        deps.arm.stats.throttleRequeues++;
        return { kind: 'wait', progress: { ...progress, backoffs: progress.backoffs + 1 }, delayMs: delay };
      }
    }
    const f = failureFromError(e, `cluster ${task.cluster.name}`);
    return finished(task, plan, p.startedAt, { kind: 'failed', reason: f.reason, detail: f.detail }, deps);
  }
}

/**
 * A command whose pod never started (KubernetesPerformanceError at the POST, or a 404 on its
 * result) gets one new POST, as the support article advises: true when this attempt may be retried.
 */
function retryNotStarted(task: ScanTask, batch: number, attempt: number, e: unknown, deps: StepDeps): boolean {
  const f = failureFromError(e, `cluster ${task.cluster.name}`);
  deps.onCommand?.({ clusterId: task.cluster.id, batch, attempt, outcome: f.reason });
  return f.reason === 'command-not-started' && attempt < 2;
}

async function clusterToken(deps: StepDeps, signal: AbortSignal): Promise<string> {
  try {
    const t = await deps.arm.credential.getToken(AKS_SERVER_SCOPE, { abortSignal: signal });
    if (t?.token) return t.token;
  } catch (e) {
    throw new ScanError('missing-cluster-token', `no token for the AKS server application (${errorLine(e)})`);
  }
  throw new ScanError('missing-cluster-token', 'the credential returned no token for the AKS server application');
}
