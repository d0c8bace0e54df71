/** Shared test plumbing: the static credential, SDK clients pointed at a simulator, raw HTTPS calls. */
import { request } from 'node:https';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { RunningSimulator } from '../../src/simulator/index.js';

export const credential: TokenCredential = { getToken: async () => ({ token: 'test', expiresOnTimestamp: Date.now() + 3600e3 }) };

/** Fast retries so fault tests take milliseconds; the policies themselves are the SDK's own. */
export const FAST_RETRY = { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

export function csClient(sim: RunningSimulator, subscriptionId: string, extra: { apiVersion?: string; maxRetries?: number } = {}): ContainerServiceClient {
  return new ContainerServiceClient(credential, subscriptionId, {
    endpoint: sim.endpoint,
    tlsOptions: { ca: sim.ca },
    retryOptions: { ...FAST_RETRY, ...(extra.maxRetries !== undefined ? { maxRetries: extra.maxRetries } : {}) },
    ...(extra.apiVersion ? { apiVersion: extra.apiVersion } : {}),
  });
}

export function subClient(sim: RunningSimulator): SubscriptionClient {
  return new SubscriptionClient(credential, { endpoint: sim.endpoint, tlsOptions: { ca: sim.ca }, retryOptions: FAST_RETRY });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One HTTPS call with no SDK in between, to see status, headers and body exactly. */
export function raw(sim: RunningSimulator, method: string, path: string, opts: { body?: unknown; auth?: boolean } = {}): Promise<RawResponse> {
  const url = new URL(path, sim.endpoint);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: sim.ca,
        timeout: 5000,
        headers: {
          ...(opts.auth === false ? {} : { authorization: 'Bearer test' }),
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

export function errorOf(e: unknown): { statusCode: number | undefined; code: string | undefined; message: string } {
  const x = e as { statusCode?: number; code?: string; message?: string };
  return { statusCode: x.statusCode, code: x.code, message: x.message ?? String(e) };
}
