/**
 * Posts a message to a Teams Workflows webhook. The URL carries its own signature (`sig=`), so it
 * is a secret: no outcome, error or log line built here contains more of it than the host.
 * Workflows answers 202 with an empty body ("accepted", not "delivered": rendering errors show only
 * in the flow's run history) and throttles with 429 (shared/reference/peers.md).
 */
import { retryAfterMs } from '../http/retry-after.js';
import { InputError } from '../model/errors.js';
import type { RateLimiter } from './rate-limit.js';
import { realSleep, teamsRateLimiter } from './rate-limit.js';

export const TEAMS_SETTING = 'TEAMS_WEBHOOK_URL';

export interface AlertOutcome {
  status: 'sent' | 'failed' | 'skipped';
  httpStatus: number | null;
  attempts: number;
  /** One line for logs and the store; never contains the URL's path or query. */
  detail: string;
}

export interface SendOptions {
  fetch?: typeof fetch;
  /** Per attempt, including reading the response; default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors; default 3. */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Clock for Retry-After given as an HTTP date; default Date.now. */
  now?: () => number;
  /** Defaults to the process-wide 4-a-second limiter. */
  limiter?: RateLimiter;
  /** A Retry-After longer than this ends the retries instead of holding the worker; default 30 s. */
  maxWaitMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Checks the webhook URL: https, or http for a loopback host only (tests talk to a receiver on
 * 127.0.0.1; nothing real listens on plain http). The message names the setting, never the value.
 */
export function parseWebhookUrl(url: string, setting: string = TEAMS_SETTING): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`setting ${setting}`, 'is not a valid URL (the value is a secret and is not shown)');
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return parsed;
  throw new InputError(`setting ${setting}`, `must be an https URL (http only for a loopback host); got a ${parsed.protocol.replace(/:$/, '')} URL`);
}

/** Removes every form of the URL's secret parts from a text that may echo them. */
export function redactUrl(text: string, url: URL): string {
  const sig = url.searchParams.get('sig') ?? '';
  const secrets = [
    url.href,
    `${url.pathname}${url.search}`,
    url.search,
    url.search.slice(1),
    url.pathname.length > 1 ? url.pathname : '',
    sig.length >= 8 ? sig : '',
  ]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out.replace(/\b(sig=)[^&\s"']+/gi, '$1[redacted]');
}

function backoffMs(retry: number): number {
  return Math.min(8000, 500 * 2 ** retry);
}

function describeError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : null;
  if (code) return `network error ${code}`;
  return `network error (${e instanceof Error ? e.name : 'unknown'})`;
}

function retryable(status: number): boolean {
  // Issue 14: 408, 429 and 5xx are retried; any other 4xx would fail the same way again.
  return status === 408 || status === 429 || status >= 500;
}

/**
 * POSTs `body` as JSON. Retries 429, 5xx, timeouts and network errors up to maxRetries times,
 * waiting as Retry-After says (else exponential backoff); other 4xx fail at once. A timed-out
 * attempt may still have been accepted, so a retry after a timeout can post the card twice: rarer
 * and cheaper than a lost alert.
 */
export async function sendTeams(url: string, body: object, opts: SendOptions = {}): Promise<AlertOutcome> {
  const target = parseWebhookUrl(url);
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRetries = opts.maxRetries ?? 3;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const limiter = opts.limiter ?? teamsRateLimiter;
  const maxWaitMs = opts.maxWaitMs ?? 30_000;
  const where = `the Teams webhook at ${target.host}`;
  const payload = JSON.stringify(body);

  let attempts = 0;
  let last: { httpStatus: number | null; why: string } = { httpStatus: null, why: 'not attempted' };
  for (let retry = 0; retry <= maxRetries; retry++) {
    await limiter.acquire();
    attempts++;
    let wait: number | null = null;
    try {
      const res = await doFetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        // A redirect would carry the card (and the request) to a host nobody configured.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      if (res.ok) {
        return { status: 'sent', httpStatus: res.status, attempts, detail: `${where} accepted the message (HTTP ${res.status})` };
      }
      const said = text.trim() ? `: ${redactUrl(text.replace(/\s+/g, ' ').trim(), target).slice(0, 200)}` : '';
      last = { httpStatus: res.status, why: `HTTP ${res.status}${said}` };
      if (!retryable(res.status)) {
        return { status: 'failed', httpStatus: res.status, attempts, detail: redactUrl(`${where} refused the message: ${last.why}`, target) };
      }
      wait = retryAfterMs(res.headers.get('retry-after'), now());
    } catch (e) {
      last = { httpStatus: null, why: describeError(e, timeoutMs) };
    }
    if (retry === maxRetries) break;
    const ms = wait ?? backoffMs(retry);
    if (ms > maxWaitMs) {
      return {
        status: 'failed',
        httpStatus: last.httpStatus,
        attempts,
        detail: redactUrl(`${where} asked to wait ${Math.ceil(ms / 1000)} s (more than ${Math.round(maxWaitMs / 1000)} s) after ${last.why}`, target),
      };
    }
    await sleep(ms);
  }
  return { status: 'failed', httpStatus: last.httpStatus, attempts, detail: redactUrl(`${where} failed after ${attempts} attempt(s): ${last.why}`, target) };
}
