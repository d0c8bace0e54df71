/**
 * The one place that creates storage clients. Everything else receives them.
 * Every client gets bounded retries (the pipeline's default policy, which honours Retry-After on
 * 429/503 and backs off exponentially otherwise) and the request counter; each call also gets an
 * abort signal from the store, so nothing waits forever.
 */
import { TableClient } from '@azure/data-tables';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { AdditionalPolicy, RequestCounter } from './counter.js';
import { connectionStringIsHttp, isLoopback, type StorageTarget } from './target.js';

export interface RetryOptions {
  /** Attempts after the first; default 3. */
  maxRetries: number;
  /** First back-off; default 500 ms. */
  retryDelayInMs: number;
  /** Longest back-off; default 10 s. */
  maxRetryDelayInMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 };

export interface ClientOptions {
  retry?: Partial<RetryOptions>;
  counter?: RequestCounter;
  /** Extra pipeline policies, per retry (tests use one to inject failures). */
  policies?: AdditionalPolicy['policy'][];
}

export function createTableClient(target: StorageTarget, table: string, opts: ClientOptions = {}): TableClient {
  const policies: AdditionalPolicy[] = [];
  if (opts.counter) policies.push({ policy: opts.counter.policy, position: 'perRetry' });
  for (const p of opts.policies ?? []) policies.push({ policy: p, position: 'perRetry' });
  const common = { retryOptions: { ...DEFAULT_RETRY, ...opts.retry }, additionalPolicies: policies };
  if (target.kind === 'connection-string') {
    return TableClient.fromConnectionString(target.value, table, { ...common, allowInsecureConnection: connectionStringIsHttp(target.value) });
  }
  const url = new URL(target.tableUrl);
  return new TableClient(target.tableUrl, table, target.credential, {
    ...common,
    allowInsecureConnection: url.protocol === 'http:' && isLoopback(url.hostname),
  });
}

/** For the timer's fan-out and the worker's queue; retries and timeouts as for tables. */
export function createQueueClient(target: StorageTarget, queue: string, opts: { retry?: Partial<RetryOptions> } = {}): QueueClient {
  const r = { ...DEFAULT_RETRY, ...opts.retry };
  // storage-queue has its own retry option names; same bounds.
  const retryOptions = { maxTries: r.maxRetries + 1, retryDelayInMs: r.retryDelayInMs, maxRetryDelayInMs: r.maxRetryDelayInMs, tryTimeoutInMs: 30_000 };
  if (target.kind === 'connection-string') {
    return QueueServiceClient.fromConnectionString(target.value, { retryOptions }).getQueueClient(queue);
  }
  return new QueueServiceClient(target.queueUrl, target.credential, { retryOptions }).getQueueClient(queue);
}
