import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/alert/rate-limit.js';
import { parseWebhookUrl, redactUrl, sendTeams } from '../../src/alert/send.js';
import { retryAfterMs } from '../../src/http/retry-after.js';
import type { AlertOutcome, SendOptions } from '../../src/alert/send.js';
import { InputError } from '../../src/model/errors.js';

/** What the loopback receiver does with the next request. */
type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

const PATH = '/workflows/0a1b2c3d/triggers/manual/paths/invoke';
const QUERY = '?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sig=SECRET';
let server: Server;
let base: string;
let url: string;
let replies: Reply[] = [];
let received: Received[] = [];
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      const r = replies.shift() ?? { status: 202 };
      if (r === 'hang') {
        hanging.push(res);
        return;
      }
      if (r === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(r.status, r.headers ?? {});
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = `${base}${PATH}${QUERY}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  replies = [];
  received = [];
});

const CARD = {
  type: 'message',
  attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', body: [] } }],
};

/** Options that keep the test fast: sleeps are recorded, not waited; a private, roomy limiter. */
function fast(over: SendOptions = {}): SendOptions & { slept: number[] } {
  const slept: number[] = [];
  return { slept, sleep: async (ms) => void slept.push(ms), limiter: createRateLimiter({ perSecond: 1000 }), timeoutMs: 2000, ...over };
}

function expectNoSecret(o: AlertOutcome | Error): void {
  const text = o instanceof Error ? `${o.message} ${o.stack ?? ''}` : JSON.stringify(o);
  expect(text).not.toContain('SECRET');
  expect(text).not.toContain(PATH);
  expect(text).not.toContain('sig=');
}

describe('sendTeams against a loopback receiver', () => {
  it('posts the card as JSON and reports 202 as sent, naming only the host', async () => {
    const o = await sendTeams(url, CARD, fast());
    expect(o).toMatchObject({ status: 'sent', httpStatus: 202, attempts: 1 });
    expect(o.detail).toContain(new URL(base).host);
    expectNoSecret(o);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: `${PATH}${QUERY}`, contentType: 'application/json' });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual(CARD);
  });

  it('treats 200 as sent too', async () => {
    replies = [{ status: 200, body: 'ok' }];
    expect((await sendTeams(url, CARD, fast())).status).toBe('sent');
  });

  it('retries a 429 after the Retry-After seconds', async () => {
    replies = [{ status: 429, headers: { 'retry-after': '2' } }, { status: 202 }];
    const opts = fast();
    const o = await sendTeams(url, CARD, opts);
    expect(o).toMatchObject({ status: 'sent', httpStatus: 202, attempts: 2 });
    expect(opts.slept).toEqual([2000]);
    expect(received).toHaveLength(2);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    replies = [{ status: 503, headers: { 'retry-after': new Date(now + 3000).toUTCString() } }, { status: 202 }];
    const opts = fast({ now: () => now });
    const o = await sendTeams(url, CARD, opts);
    expect(o.status).toBe('sent');
    expect(opts.slept).toEqual([3000]);
  });

  it('waits with backoff on 5xx without Retry-After and gives up after maxRetries', async () => {
    replies = [{ status: 500 }, { status: 502 }, { status: 500 }, { status: 500 }, { status: 202 }];
    const opts = fast({ maxRetries: 3 });
    const o = await sendTeams(url, CARD, opts);
    expect(o).toMatchObject({ status: 'failed', httpStatus: 500, attempts: 4 });
    expect(opts.slept).toEqual([500, 1000, 2000]);
    expect(received).toHaveLength(4);
    expectNoSecret(o);
  });

  it('retries a 408 (request timeout) with backoff, then counts the 202 as sent', async () => {
    replies = [{ status: 408 }, { status: 202 }];
    const opts = fast({ maxRetries: 3 });
    const o = await sendTeams(url, CARD, opts);
    expect(o).toMatchObject({ status: 'sent', httpStatus: 202, attempts: 2 });
    expect(opts.slept).toEqual([500]);
    expect(received).toHaveLength(2);
  });

  it('does not retry a 400 and keeps the URL out of the detail even when the receiver echoes it', async () => {
    replies = [{ status: 400, body: `{"error":{"message":"Bad card posted to ${url} (path ${PATH}${QUERY})"}}` }];
    const opts = fast();
    const o = await sendTeams(url, CARD, opts);
    expect(o).toMatchObject({ status: 'failed', httpStatus: 400, attempts: 1 });
    expect(o.detail).toContain('HTTP 400');
    expect(o.detail).toContain('Bad card');
    expectNoSecret(o);
    expect(opts.slept).toEqual([]);
    expect(received).toHaveLength(1);
  });

  it('does not follow a redirect: the card goes only to the configured host', async () => {
    replies = [{ status: 302, headers: { location: `${base}/elsewhere` } }];
    const o = await sendTeams(url, CARD, fast());
    expect(o).toMatchObject({ status: 'failed', httpStatus: 302, attempts: 1 });
    expect(received.map((r) => r.url)).toEqual([`${PATH}${QUERY}`]);
    expectNoSecret(o);
  });

  it('times out an attempt that gets no answer, retries, and says so without the URL', async () => {
    // A hanging reply never answers (the receiver ends it only after the test), so sendTeams returning at all is its own timeout's doing.
    replies = ['hang', 'hang'];
    const o = await sendTeams(url, CARD, fast({ timeoutMs: 150, maxRetries: 1 }));
    expect(o).toMatchObject({ status: 'failed', httpStatus: null, attempts: 2 });
    expect(o.detail).toContain('no answer within 150 ms');
    expect(received).toHaveLength(2);
    expectNoSecret(o);
  });

  it('retries a dropped connection', async () => {
    replies = ['reset', { status: 202 }];
    const o = await sendTeams(url, CARD, fast());
    expect(o).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('stops instead of holding the worker when Retry-After is longer than maxWaitMs', async () => {
    replies = [{ status: 429, headers: { 'retry-after': '120' } }];
    const opts = fast({ maxWaitMs: 30_000 });
    const o = await sendTeams(url, CARD, opts);
    expect(o).toMatchObject({ status: 'failed', httpStatus: 429, attempts: 1 });
    expect(o.detail).toContain('asked to wait 120 s');
    expect(opts.slept).toEqual([]);
    expectNoSecret(o);
  });

  it('refuses anything but https, allowing http for loopback only, without echoing the URL', async () => {
    for (const bad of ['http://workflows.example.test/workflows/x?sig=SECRET', 'ftp://127.0.0.1/x?sig=SECRET', 'not a url sig=SECRET']) {
      let err: unknown;
      try {
        await sendTeams(bad, CARD, fast());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain('TEAMS_WEBHOOK_URL');
      expectNoSecret(err as Error);
    }
    expect(received).toHaveLength(0);
    expect(parseWebhookUrl('https://workflows.example.test/workflows/x?sig=S').protocol).toBe('https:');
    expect(parseWebhookUrl('http://[::1]:8080/x').hostname).toBe('[::1]');
    expect(parseWebhookUrl('http://localhost:8080/x').hostname).toBe('localhost');
  });
});

describe('the client-side rate limit', () => {
  it('grants at most 4 a second, in order', async () => {
    let t = 0;
    const limiter = createRateLimiter({ perSecond: 4, now: () => t, sleep: async (ms) => void (t += ms) });
    const at: number[] = [];
    await Promise.all(Array.from({ length: 9 }, () => limiter.acquire().then(() => at.push(t))));
    expect(at).toEqual([0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000]);
  });

  it('frees a slot a second after the grant it replaces, not after a whole quiet second', async () => {
    let t = 0;
    const limiter = createRateLimiter({ perSecond: 4, now: () => t, sleep: async (ms) => void (t += ms) });
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.acquire();
      at.push(t);
      t += 100;
    }
    expect(at).toEqual([0, 100, 200, 300, 1000]);
  });

  it('is shared by concurrent sends, retries included', async () => {
    let t = 0;
    const limiter = createRateLimiter({ perSecond: 4, now: () => t, sleep: async (ms) => void (t += ms) });
    replies = [{ status: 429, headers: { 'retry-after': '0' } }];
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => sendTeams(url, CARD, fast({ limiter }))));
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    // Six sends plus one retry: seven requests, the last three in the limiter's second window.
    expect(received).toHaveLength(7);
    expect(t).toBe(1000);
  });
});

describe('helpers', () => {
  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Thu, 26 Nov 2026 12:00:07 GMT', now)).toBe(7000);
    expect(retryAfterMs('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });

  it('redacts the path, the query and a bare sig from any text', () => {
    const u = new URL(`https://workflows.example.test${PATH}${QUERY}`);
    const text = `posted to ${u.href}; path ${u.pathname}; query ${u.search.slice(1)}; again sig=SECRET&x=1`;
    const out = redactUrl(text, u);
    expect(out).not.toContain('SECRET');
    expect(out).not.toContain(PATH);
    expect(out).toContain('[redacted]');
  });
});
