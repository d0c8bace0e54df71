/**
 * The waiver routes through the in-process HTTP host with function keys checked as the Functions
 * host checks them (functions/api.ts REGISTRATIONS): changing a waiver needs the admin key, a
 * function ("reader") key is refused with 401 and changes nothing; reading needs a function key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHttpServer } from '../../src/cli/host/http-host.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { setSharedRuntime } from '../../src/runtime/runtime.js';
import { useAzurite } from '../support/azurite.js';
import { startLocalApi } from '../support/local-api.js';

const az = useAzurite();
const KEYS = { function: 'reader-key', admin: 'admin-key' };
let rt: Runtime;
let server: LocalHttpServer;

beforeAll(async () => {
  ({ rt, server } = await startLocalApi(az, { keys: KEYS }));
});
afterAll(async () => {
  await server?.close();
  setSharedRuntime(undefined);
});

const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const BODY = JSON.stringify({ topic: 'kubelet.read-only-port', scope: 'all', reason: 'closed (SEC-1)', owner: 'sec@example.com', expires });

async function send(method: string, path: string, key?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${server.url}/api/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { 'x-functions-key': key } : {}), ...headers },
    ...(method === 'PUT' ? { body: BODY } : {}),
  });
  return { status: r.status, json: await r.json() };
}

describe('admin-only waiver changes through the local host', () => {
  it('PUT and DELETE refuse the reader key and no key (401); the admin key changes, the reader key reads', async () => {
    expect((await send('PUT', 'waivers/k-1', KEYS.function)).status).toBe(401);
    expect((await send('PUT', 'waivers/k-1')).status).toBe(401);
    expect(await rt.waivers.list().then((l) => l.some((w) => w.id === 'k-1'))).toBe(false);
    const put = await send('PUT', 'waivers/k-1', KEYS.admin, { 'x-ms-client-principal-name': 'carol@contoso.com' });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ created: true, waiver: { id: 'k-1', updatedBy: 'carol@contoso.com' } });
    const list = await send('GET', 'waivers', KEYS.function);
    expect(list.status).toBe(200);
    expect((list.json as { waivers: { id: string; source: string }[] }).waivers[0]).toMatchObject({ id: 'k-1', source: 'table' });
    expect((await send('GET', 'waivers')).status).toBe(401);
    expect((await send('DELETE', 'waivers/k-1', KEYS.function)).status).toBe(401);
    expect((await send('DELETE', 'waivers/k-1', KEYS.admin)).status).toBe(200);
    const history = await send('GET', 'waivers/k-1/history', KEYS.function);
    expect((history.json as { changes: { action: string; by: string }[] }).changes.map((c) => [c.action, c.by])).toEqual([
      ['put', 'carol@contoso.com'],
      ['delete', 'admin key'],
    ]);
    // Health stays anonymous.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});
