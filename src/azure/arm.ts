/**
 * ARM clients, made in one place and passed into the stages. Every request gets a timeout,
 * bounded retries that honour Retry-After (the SDK's retry policy), and is counted by operation
 * so a run can show the load it put on ARM. With `throttled: 'return'` (the Functions worker) a
 * 429 is not waited out inside the call: it comes back at once as an ArmThrottledError, and the
 * scan step puts itself back on the queue for the Retry-After, so a throttled subscription holds
 * no worker and no billed instance time.
 */
import { retryAfterMs } from '../http/retry-after.js';
import type { ContainerServiceClientOptionalParams } from '@azure/arm-containerservice';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';

export interface ArmStats {
  requests: number;
  byOperation: Record<string, number>;
  /** Responses with status 429, including those the SDK then retried. */
  throttled: number;
  /** Responses by status class, for the run log. */
  byStatus: Record<string, number>;
  /** 429s handed back to the caller at once instead of being waited out (`throttled: 'return'`). */
  throttledReturned: number;
  /** Steps put back on the queue for a Retry-After (counted by the scan steps). */
  throttleRequeues: number;
}

export function emptyArmStats(): ArmStats {
  return { requests: 0, byOperation: {}, throttled: 0, byStatus: {}, throttledReturned: 0, throttleRequeues: 0 };
}

/**
 * A 429 that the client did not wait out: `retryAfterMs` is what ARM asked for (retry-after-ms,
 * else Retry-After). Not a RestError on purpose, so that the SDK's retry policy throws it on at
 * once instead of sleeping (core-rest-pipeline retryPolicy rethrows anything else).
 */
export class ArmThrottledError extends Error {
  override readonly name = 'ArmThrottledError';
  readonly statusCode = 429;
  readonly code = 'TooManyRequests';
  constructor(
    readonly operation: string,
    readonly retryAfterMs: number,
  ) {
    super(`ARM answered 429 to ${operation}; retry after ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** ARM's wait on a throttled answer: retry-after-ms (scaled clocks, the SDK reads it first), else Retry-After (seconds or a date). */
export function retryAfterMsOf(headers: { get(name: string): string | undefined }, now = Date.now()): number {
  for (const h of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(headers.get(h));
    if (headers.get(h) !== undefined && Number.isFinite(ms)) return Math.max(0, ms);
  }
  return retryAfterMs(headers.get('retry-after'), now) ?? 0;
}

export interface ArmConnection {
  credential: TokenCredential;
  /** https://management.azure.com by default; the simulator's endpoint in tests and the demo. */
  endpoint?: string;
  /** PEM of a CA to trust in addition to the system's (the simulator's self-signed certificate). */
  ca?: string;
  /** Per-request timeout. */
  requestTimeoutMs?: number;
  /** Retries of 429/5xx/connection errors per request, honouring Retry-After. */
  maxRetries?: number;
  /** Base of the exponential back-off when no Retry-After is given (tests shorten it). */
  retryDelayInMs?: number;
  /** The ContainerService api-version; the SDK default when unset. */
  containerServiceApiVersion?: string;
  /**
   * 'wait' (default): the SDK waits out a 429's Retry-After, up to maxRetries times (the CLI, whose
   * waiting is not billed). 'return': a run-command POST or result GET answered 429 is thrown at
   * once as ArmThrottledError, and the back-off of 5xx/connection errors is kept short (the
   * Functions worker); discovery's listings still wait.
   */
  throttled?: 'wait' | 'return';
}

/** Names an ARM request by what it does, not by its URL (which holds ids). */
export function operationName(method: string, url: string): string {
  const path = new URL(url).pathname.toLowerCase();
  if (/\/managedclusters\/[^/]+\/runcommand$/.test(path)) return 'managedClusters.runCommand';
  if (/\/managedclusters\/[^/]+\/commandresults\/[^/]+$/.test(path)) return 'managedClusters.getCommandResult';
  if (/\/managedclusters\/[^/]+$/.test(path)) return `managedClusters.${method === 'GET' ? 'get' : method.toLowerCase()}`;
  if (/\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters$/.test(path)) return 'managedClusters.listByResourceGroup';
  if (/\/providers\/microsoft\.containerservice\/managedclusters$/.test(path)) return 'managedClusters.list';
  if (/^\/subscriptions$/.test(path)) return 'subscriptions.list';
  if (/\/providers\/microsoft\.resourcegraph\/resources$/.test(path)) return 'resourceGraph.resources';
  return `${method} other`;
}

/** The scan steps' requests: with `throttled: 'return'` their 429s come back at once. Discovery (the timer) waits as before. */
const STEP_OPERATIONS = new Set(['managedClusters.runCommand', 'managedClusters.getCommandResult']);

/** Counts every request that reaches the wire (retries included: they are load too). */
export function countingPolicy(stats: ArmStats, timeoutMs: number, throttled: 'wait' | 'return' = 'wait'): PipelinePolicy {
  return {
    name: 'aksfsArmCounting',
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      if (!request.timeout || request.timeout > timeoutMs) request.timeout = timeoutMs;
      const op = operationName(request.method, request.url);
      stats.requests++;
      stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1;
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (e) {
        stats.byStatus['network'] = (stats.byStatus['network'] ?? 0) + 1;
        throw e;
      }
      const cls = `${Math.floor(response.status / 100)}xx`;
      stats.byStatus[cls] = (stats.byStatus[cls] ?? 0) + 1;
      if (response.status === 429) {
        stats.throttled++;
        if (throttled === 'return' && STEP_OPERATIONS.has(op)) {
          stats.throttledReturned++;
          throw new ArmThrottledError(op, retryAfterMsOf(response.headers));
        }
      }
      return response;
    },
  };
}

export interface ArmClients {
  stats: ArmStats;
  subscriptions(): SubscriptionClient;
  containerService(subscriptionId: string): ContainerServiceClient;
  resourceGraph(): ResourceGraphClient;
  credential: TokenCredential;
}

export function createArmClients(conn: ArmConnection): ArmClients {
  const stats = emptyArmStats();
  const timeoutMs = conn.requestTimeoutMs ?? 60_000;
  const returning = conn.throttled === 'return';
  const common = {
    endpoint: conn.endpoint,
    // The policy runs per retry so retries are counted as the load they are.
    additionalPolicies: [{ policy: countingPolicy(stats, timeoutMs, conn.throttled), position: 'perRetry' as const }],
    retryOptions: {
      maxRetries: conn.maxRetries ?? (returning ? 3 : 4),
      // A worker's invocation is billed while it sleeps: 5xx and connection retries stay short there.
      maxRetryDelayInMs: returning ? 4_000 : 60_000,
      ...(conn.retryDelayInMs !== undefined ? { retryDelayInMs: conn.retryDelayInMs } : {}),
    },
    ...(conn.ca ? { tlsOptions: { ca: conn.ca } } : {}),
  };
  const perSubscription = new Map<string, ContainerServiceClient>();
  let subs: SubscriptionClient | undefined;
  let graph: ResourceGraphClient | undefined;
  return {
    stats,
    credential: conn.credential,
    subscriptions() {
      subs ??= new SubscriptionClient(conn.credential, { ...common, ...(conn.endpoint ? { endpoint: conn.endpoint } : {}) });
      return subs;
    },
    resourceGraph() {
      graph ??= new ResourceGraphClient(conn.credential, { ...common });
      return graph;
    },
    containerService(subscriptionId: string) {
      let c = perSubscription.get(subscriptionId);
      if (!c) {
        const opts: ContainerServiceClientOptionalParams = { ...common };
        if (conn.containerServiceApiVersion) opts.apiVersion = conn.containerServiceApiVersion;
        c = new ContainerServiceClient(conn.credential, subscriptionId, opts);
        perSubscription.set(subscriptionId, c);
      }
      return c;
    },
  };
}
