/**
 * serve/demo's local hosts against what a web page or a bad message could do to them: the HTTP
 * host over real loopback HTTP, the queue host over Azurite's real queues.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHttpServer } from '../../src/cli/host/http-host.js';
import { refuseNonLocal } from '../../src/cli/host/local-guard.js';
import { LocalQueueHost } from '../../src/cli/host/queue-host.js';
import { realAzureWarning } from '../../src/cli/serve.js';
import { POISON_QUEUE, SCAN_QUEUE } from '../../src/pipeline/queues.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { setSharedRuntime } from '../../src/runtime/runtime.js';
import { useAzurite } from '../support/azurite.js';
import { startLocalApi } from '../support/local-api.js';

const az = useAzurite();
let rt: Runtime;
let server: LocalHttpServer;
let port: number;

beforeAll(async () => {
  ({ rt, server } = await startLocalApi(az));
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  setSharedRuntime(undefined);
});

/** A raw HTTP request, so Host and Origin can be anything a browser or a rebinding page could send. */
function send(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function queued(): Promise<number> {
  const q = rt.queue(SCAN_QUEUE);
  await q.createIfNotExists();
  return (await q.getProperties()).approximateMessagesCount ?? 0;
}

describe('the local HTTP host', () => {
  it('answers only loopback Host names (DNS rebinding)', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await send('GET', '/api/health', { host })).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.evil.example']) {
      const r = await send('GET', '/api/summary', { host });
      expect(r.status, host).toBe(421);
      expect(r.text).toMatch(/not a loopback name/);
    }
  });

  it('refuses a cross-origin or non-JSON POST /api/scans, and queues nothing; its own page may post JSON', async () => {
    const before = await queued();
    const host = `127.0.0.1:${port}`;
    const json = { host, 'content-type': 'application/json' };
    const crossSite = await send('POST', '/api/scans', { ...json, origin: 'https://evil.example' }, '{}');
    expect(crossSite.status).toBe(403);
    expect((JSON.parse(crossSite.text) as { error: { message: string } }).error.message).toMatch(/origin "https:\/\/evil.example" refused/);
    expect((await send('POST', '/api/scans', { ...json, origin: 'null' }, '{}')).status).toBe(403);
    expect((await send('POST', '/api/scans', { ...json, origin: `http://127.0.0.1:${port + 1}` }, '{}')).status).toBe(403);
    expect((await send('POST', '/api/scans', { ...json, 'sec-fetch-site': 'cross-site' }, '{}')).status).toBe(403);
    // A plain HTML form sends text/plain or a form encoding, without a preflight.
    const form = await send('POST', '/api/scans', { host, 'content-type': 'text/plain' }, '{"clusters":[]}');
    expect(form.status).toBe(415);
    expect(form.text).toMatch(/application\/json/);
    expect((await send('POST', '/api/scans', { host, 'content-type': 'application/x-www-form-urlencoded' }, 'a=1')).status).toBe(415);
    expect(await queued()).toBe(before);
    // Its own page passes the guard: the API itself answers (here 503, as no ARM is listening).
    const own = await send('POST', '/api/scans', { ...json, origin: `http://localhost:${port}` }, '{}');
    expect((JSON.parse(own.text) as { error: { code: string } }).error.code, own.text).toBe('ScannerUnavailable');
  });

  it('decides each case in one pure function', () => {
    expect(refuseNonLocal({ method: 'GET', headers: { host: `localhost:${port}`, origin: 'https://evil.example' } }, port)).toBeNull();
    expect(refuseNonLocal({ method: 'DELETE', headers: { host: `localhost:${port}`, 'content-type': 'application/json; charset=utf-8' } }, port)).toBeNull();
    expect(refuseNonLocal({ method: 'POST', headers: { host: `localhost:${port}` } }, port)?.status).toBe(415);
    expect(refuseNonLocal({ method: 'GET', headers: {} }, port)?.status).toBe(421);
  });
});

describe('serve against real Azure', () => {
  it('warns clearly when ARM is not a loopback simulator', () => {
    expect(realAzureWarning(undefined, true)).toMatch(/WARNING.*management\.azure\.com.*REAL AKS clusters with YOUR credentials.*--no-worker/);
    expect(realAzureWarning('https://management.usgovcloudapi.net', false)).toMatch(/WARNING.*usgovcloudapi.*worker is off/);
    expect(realAzureWarning('https://127.0.0.1:8443', true)).toBeNull();
  });
});

describe('the local queue host', () => {
  it('poisons an unreadable message at once instead of stalling drain(), and the poison handler drops it', async () => {
    const logs: string[] = [];
    const host = new LocalQueueHost(rt, { concurrency: 2, maxDequeueCount: 3, visibilityTimeoutSeconds: 1, log: (l) => logs.push(l) });
    await host.ensureQueues();
    await rt.queue(SCAN_QUEUE).clearMessages();
    await rt.queue(POISON_QUEUE).clearMessages();
    await rt.queue(SCAN_QUEUE).sendMessage(Buffer.from('not json {').toString('base64'));
    await rt.queue(SCAN_QUEUE).sendMessage('%%% not even base64 %%%');
    const r = await host.drain();
    expect(r).toMatchObject({ handled: 0, poisoned: 2, poisonRecorded: 2 });
    expect(logs.some((l) => /not JSON; moved to the poison queue/.test(l))).toBe(true);
    expect((await rt.queue(SCAN_QUEUE).getProperties()).approximateMessagesCount).toBe(0);
    expect((await rt.queue(POISON_QUEUE).getProperties()).approximateMessagesCount).toBe(0);
  });
});
