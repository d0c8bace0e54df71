/**
 * One run-command, start to finish, through the real ContainerServiceClient: POST runCommand,
 * then GET commandResults until done. We poll ourselves rather than with the SDK's poller: the
 * poller polls at once after the POST and trusts HTTP codes, while a kube-bench run takes tens of
 * seconds and a "failed" command still answers 200. So: wait the expected run time before the
 * first poll, never poll faster than `pollIntervalMs` (5 s by default) or than Retry-After asks,
 * and read provisioningState and exitCode ourselves.
 */
import type { ContainerServiceClient, RunCommandRequest, RunCommandResult } from '@azure/arm-containerservice';
import { retryAfterMsOf } from '../azure/arm.js';
import type { ClusterRef } from '../model/cluster.js';
import { failureFromCommandReason, ScanError } from './failure.js';

export interface PollTiming {
  /** Wait before the first poll: a kube-bench Job takes about this long. */
  firstPollDelayMs: number;
  /** The least time between polls. */
  pollIntervalMs: number;
}

export const DEFAULT_POLL_TIMING: PollTiming = { firstPollDelayMs: 20_000, pollIntervalMs: 5_000 };

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export interface CommandResult {
  logs: string;
  exitCode: number;
}

interface RawResponseLike {
  status: number;
  headers: { get(name: string): string | undefined };
}

function retryAfterMs(raw: RawResponseLike | undefined): number {
  return raw ? retryAfterMsOf(raw.headers) : 0;
}

function commandIdFromLocation(location: string | undefined): string | null {
  if (!location) return null;
  const m = /\/commandResults\/([^/?#]+)/i.exec(location);
  return m ? decodeURIComponent(m[1] as string) : null;
}

/** What the POST of a run-command answered: the command id to poll, and how long ARM asked us to wait. */
export interface PostedCommand {
  commandId: string;
  retryAfterMs: number;
}

/** POSTs the run-command and returns as soon as ARM accepted it (202 + Location): nothing waits here. */
export async function postCommand(client: ContainerServiceClient, cluster: ClusterRef, body: RunCommandRequest, signal: AbortSignal): Promise<PostedCommand> {
  let initial: RawResponseLike | undefined;
  const poller = client.managedClusters.runCommand(cluster.resourceGroup, cluster.name, body, {
    abortSignal: signal,
    onResponse: (raw) => {
      initial = { status: raw.status, headers: { get: (n) => raw.headers.get(n) } };
    },
  });
  await poller.submitted();
  const commandId = commandIdFromLocation(initial?.headers.get('location'));
  if (!commandId) throw new ScanError('internal', `runCommand answered ${initial?.status ?? '?'} without a commandResults Location`);
  return { commandId, retryAfterMs: retryAfterMs(initial) };
}

/** One GET of a command's result: still running (and the Retry-After asked), or its result and how long it ran. */
export type PollAnswer = { state: 'running'; retryAfterMs: number } | { state: 'done'; result: CommandResult; durationMs: number | null };

/**
 * Reads a command's result once. A failed command throws its ScanError; an accepted command without
 * a result throws command-not-started: its pod never started (support article
 * "resolve-az-aks-command-invoke-failures"), not a missing cluster.
 */
export async function pollCommand(client: ContainerServiceClient, cluster: ClusterRef, commandId: string, signal: AbortSignal): Promise<PollAnswer> {
  let last: RawResponseLike | undefined;
  let result: RunCommandResult | undefined;
  try {
    result = await client.managedClusters.getCommandResult(cluster.resourceGroup, cluster.name, commandId, {
      abortSignal: signal,
      onResponse: (raw) => {
        last = { status: raw.status, headers: { get: (n) => raw.headers.get(n) } };
      },
    });
  } catch (e) {
    const err = e as { statusCode?: unknown; code?: unknown };
    if (err.statusCode === 404 && err.code !== 'ResourceNotFound') {
      throw new ScanError('command-not-started', `runCommand was accepted but its result ${commandId} is not found: the command pod did not start`);
    }
    throw e;
  }
  const state = (result?.provisioningState ?? '').toLowerCase();
  if (last?.status === 200 && state !== 'running' && state !== '') {
    const r = result as RunCommandResult;
    const ran = r.startedAt && r.finishedAt ? new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime() : NaN;
    return { state: 'done', result: finish(r, state), durationMs: Number.isFinite(ran) && ran >= 0 ? ran : null };
  }
  return { state: 'running', retryAfterMs: retryAfterMs(last) };
}

/** POST, then poll until done, waiting in this call: for tests and tools; the scan itself waits in queue messages (steps/). */
export async function runClusterCommand(
  client: ContainerServiceClient,
  cluster: ClusterRef,
  body: RunCommandRequest,
  timing: PollTiming,
  signal: AbortSignal,
  wait: Sleep = sleep,
): Promise<CommandResult> {
  const posted = await postCommand(client, cluster, body, signal);
  let delay = Math.max(timing.firstPollDelayMs, posted.retryAfterMs);
  for (;;) {
    await wait(delay, signal);
    const answer = await pollCommand(client, cluster, posted.commandId, signal);
    if (answer.state === 'done') return answer.result;
    delay = Math.max(timing.pollIntervalMs, answer.retryAfterMs);
  }
}

function finish(result: RunCommandResult, state: string): CommandResult {
  // Casing varies: the REST examples say "succeeded"/"failed", the CLI compares "Succeeded".
  if (state === 'failed' || state === 'canceled') {
    const f = failureFromCommandReason(result.reason ?? '');
    throw new ScanError(f.reason, f.detail);
  }
  if (state !== 'succeeded') throw new ScanError('command-failed', `run-command ended in state ${result.provisioningState}`);
  return { logs: result.logs ?? '', exitCode: result.exitCode ?? 0 };
}
