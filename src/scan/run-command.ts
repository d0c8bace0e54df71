/**
 * One run-command, start to finish, through the real ContainerServiceClient: POST runCommand,
 * then GET commandResults until done. We poll ourselves rather than with the SDK's poller: the
 * poller polls at once after the POST and trusts HTTP codes, while a kube-bench run takes tens of
 * seconds and a "failed" command still answers 200. So: wait the expected run time before the
 * first poll, never poll faster than `pollIntervalMs` (5 s by default) or than Retry-After asks,
 * and read provisioningState and exitCode ourselves.
 */
import type { ContainerServiceClient, RunCommandRequest, RunCommandResult } from '@azure/arm-containerservice';
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
  const v = raw?.headers.get('retry-after');
  if (!v) return 0;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 0;
}

function commandIdFromLocation(location: string | undefined): string | null {
  if (!location) return null;
  const m = /\/commandResults\/([^/?#]+)/i.exec(location);
  return m ? decodeURIComponent(m[1] as string) : null;
}

export async function runClusterCommand(
  client: ContainerServiceClient,
  cluster: ClusterRef,
  body: RunCommandRequest,
  timing: PollTiming,
  signal: AbortSignal,
  wait: Sleep = sleep,
): Promise<CommandResult> {
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

  let delay = Math.max(timing.firstPollDelayMs, retryAfterMs(initial));
  for (;;) {
    await wait(delay, signal);
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
      // An accepted command without a result: its pod never started (support article
      // "resolve-az-aks-command-invoke-failures"), not a missing cluster.
      const err = e as { statusCode?: unknown; code?: unknown };
      if (err.statusCode === 404 && err.code !== 'ResourceNotFound') {
        throw new ScanError('command-not-started', `runCommand was accepted but its result ${commandId} is not found: the command pod did not start`);
      }
      throw e;
    }
    const state = (result?.provisioningState ?? '').toLowerCase();
    if (last?.status === 200 && state !== 'running' && state !== '') {
      return finish(result as RunCommandResult, state);
    }
    delay = Math.max(timing.pollIntervalMs, retryAfterMs(last));
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
