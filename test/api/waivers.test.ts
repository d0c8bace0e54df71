/**
 * The waiver routes over Azurite: the list with each waiver's source, PUT and DELETE with their
 * validation, ETags and recorded history, and the effective list that alerts and views apply.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../src/api/index.js';
import { parseWaiverConfig } from '../../src/knowledge/waivers.js';
import type { Store } from '../../src/store/store.js';
import { createWaiverTable, type WaiverTable } from '../../src/store/waivers.js';
import { cachedWaivers } from '../../src/waivers/effective.js';
import { WaiverService } from '../../src/waivers/service.js';
import { useAzurite } from '../support/azurite.js';
import { call, depsFor, NOW, SUB_A } from './fleet.js';

const az = useAzurite();

let store: Store;
let table: WaiverTable;
let deps: ApiDeps;

const FILE = parseWaiverConfig(
  'waivers:\n  - id: file-ro\n    topic: kubelet.read-only-port\n    scope: all\n    reason: port closed (SEC-1)\n    owner: sec@example.com\n    expires: 2027-01-31\n',
  'waivers.yaml',
);

function service(over: Partial<ConstructorParameters<typeof WaiverService>[0]> = {}): WaiverService {
  return new WaiverService({ table, file: FILE, defaults: true, maxDays: 365, now: () => NOW, ...over });
}

const body = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  topic: 'kubelet.read-only-port',
  scope: SUB_A,
  reason: 'Confirmed port 10255 closed on all node images (ticket SEC-123)',
  owner: 'platform-team@example.com',
  expires: '2027-03-31',
  ...over,
});

const put = (id: string, b: unknown, headers: Record<string, string> = {}) => call(deps, `/waivers/${id}`, { method: 'PUT', body: JSON.stringify(b), headers });
const message = (a: { json: unknown }): string => (a.json as { error: { message: string } }).error.message;

interface Listed {
  id: string;
  source: string;
  updatedBy?: string;
  updatedAt?: string;
  expires: string;
  scope: unknown;
}

beforeAll(async () => {
  store = await az.store();
  table = createWaiverTable(az.target(), { tablePrefix: store.tables.clusters.replace(/Clusters$/, ''), retry: { maxRetries: 1, retryDelayInMs: 50 } });
  await table.ensureTable();
  deps = { ...depsFor(store), waivers: service() };
});

describe('PUT /waivers/{id}', () => {
  it('creates a table waiver (admin key when no principal), answers its ETag, and GET /waivers lists table, file and default waivers with their source', async () => {
    const r = await put('ro-sub-a', body());
    expect(r.status).toBe(200);
    expect(r.headers['etag']).toBeTruthy();
    expect(r.json).toMatchObject({ created: true, waiver: { id: 'ro-sub-a', source: 'table', updatedBy: 'admin key', updatedAt: NOW.toISOString() } });
    const list = ((await call(deps, '/waivers')).json as { waivers: Listed[] }).waivers;
    expect(list[0]).toMatchObject({ id: 'ro-sub-a', source: 'table', expires: '2027-03-31', scope: { kind: 'subscription', subscriptionId: SUB_A } });
    expect(list.find((w) => w.id === 'file-ro')?.source).toBe('file');
    expect(list.filter((w) => w.source === 'default').length).toBeGreaterThan(5);
    expect(list.filter((w) => w.source !== 'table').every((w) => w.updatedBy === undefined)).toBe(true);
    const one = await call(deps, '/waivers/ro-sub-a');
    expect(one.headers['etag']).toBe(r.headers['etag']);
  });

  it('refuses bad bodies with 400 naming the field, and stores nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [body({ expires: undefined }), /^body\.expires: /],
      [body({ expires: '2027-02-30' }), /^body\.expires: expires is not a real date/],
      [body({ scope: 'everywhere' }), /^body\.scope: scope must be "all"/],
      [body({ topic: 'kubelet.no-such-topic' }), /^body\.topic: "kubelet\.no-such-topic" is not a topic of the knowledge base/],
      [body({ check: '3.2.4' }), /names exactly one of topic or check/],
      [body({ owner: '' }), /^body\.owner: /],
      [body({ extra: 1 }), /extra/],
      [body({ id: 'another-id' }), /^body\.id: "another-id" differs from the id in the path \("bad-1"\)/],
      [body({ expires: '2026-11-25' }), /^body\.expires: 2026-11-25 is in the past/],
      [body({ expires: '2027-11-27' }), /^body\.expires: 2027-11-27 is more than WAIVER_MAX_DAYS \(365\) days ahead; the latest allowed is 2027-11-26/],
      [[body()], /^body: expected a waiver object/],
    ];
    for (const [b, pattern] of cases) {
      const r = await put('bad-1', b);
      expect(r.status, JSON.stringify(b)).toBe(400);
      expect(message(r), JSON.stringify(b)).toMatch(pattern);
    }
    expect((await put('bad-1', body({ expires: '2027-11-26' }))).status).toBe(200);
    expect((await call(deps, '/waivers/bad-1', { method: 'DELETE' })).status).toBe(200);
    const notJson = await call(deps, '/waivers/bad-2', { method: 'PUT', body: '{"topic":' });
    expect(message(notJson)).toMatch(/^request body is not JSON/);
    const badId = await put('no%20spaces', body());
    expect(badId.status).toBe(400);
    expect(message(badId)).toMatch(/^path segment id: "no spaces" is not a waiver id/);
    expect(await table.get('bad-2')).toBeNull();
  });

  it('WAIVER_MAX_DAYS is the service setting: 30 days refuses what 365 accepts', async () => {
    const strict = { ...deps, waivers: service({ maxDays: 30 }) };
    const r = await call(strict, '/waivers/short', { method: 'PUT', body: JSON.stringify(body({ expires: '2026-12-27' })) });
    expect(message(r)).toMatch(/more than WAIVER_MAX_DAYS \(30\) days ahead; the latest allowed is 2026-12-26/);
    expect((await call(strict, '/waivers/short', { method: 'PUT', body: JSON.stringify(body({ expires: '2026-12-26' })) })).status).toBe(200);
  });
});

describe('history and concurrency', () => {
  it('records every put and delete with its principal, time, before and after', async () => {
    const upn = await put('hist-1', body(), { 'x-ms-client-principal-name': 'alice@contoso.com' });
    expect(upn.json).toMatchObject({ created: true, waiver: { updatedBy: 'alice@contoso.com' } });
    const claims = Buffer.from(
      JSON.stringify({ auth_typ: 'aad', name_typ: 'preferred_username', claims: [{ typ: 'preferred_username', val: 'bob@contoso.com' }] }),
    ).toString('base64');
    const second = await put('hist-1', body({ reason: 'Re-checked on the 202611 node image' }), { 'X-MS-CLIENT-PRINCIPAL': claims });
    expect(second.json).toMatchObject({ created: false, waiver: { updatedBy: 'bob@contoso.com' } });
    const del = await call(deps, '/waivers/hist-1', { method: 'DELETE' });
    expect(del.json).toMatchObject({ deleted: { id: 'hist-1', reason: 'Re-checked on the 202611 node image' } });
    const h = (await call(deps, '/waivers/hist-1/history')).json as {
      id: string;
      changes: { at: string; by: string; action: string; before: { reason: string } | null; after: { reason: string } | null }[];
    };
    expect(h.id).toBe('hist-1');
    expect(h.changes.map((c) => [c.action, c.by, c.before?.reason ?? null, c.after?.reason ?? null])).toEqual([
      ['put', 'alice@contoso.com', null, body()['reason']],
      ['put', 'bob@contoso.com', body()['reason'], 'Re-checked on the 202611 node image'],
      ['delete', 'admin key', 'Re-checked on the 202611 node image', null],
    ]);
    expect(h.changes.every((c) => c.at === NOW.toISOString())).toBe(true);
    expect((await call(deps, '/waivers/hist-1')).status).toBe(404);
    expect((await call(deps, '/waivers/never-was/history')).status).toBe(404);
    expect((await call(deps, '/waivers/hist-1', { method: 'DELETE' })).status).toBe(404);
  });

  it('If-Match and If-None-Match: a stale ETag is 412 and changes nothing', async () => {
    const first = await put('etag-1', body());
    const etag = first.headers['etag'] as string;
    const second = await put('etag-1', body({ owner: 'b@example.com' }), { 'if-match': etag });
    expect(second.status).toBe(200);
    const stale = await put('etag-1', body({ owner: 'c@example.com' }), { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect((await call(deps, '/waivers/etag-1', { method: 'DELETE', headers: { 'if-match': etag } })).status).toBe(412);
    expect((await put('etag-1', body(), { 'if-none-match': '*' })).status).toBe(412);
    expect((await put('etag-new', body(), { 'if-match': '*' })).status).toBe(412);
    expect((await table.get('etag-1'))?.waiver.owner).toBe('b@example.com');
    expect((await table.history('etag-1')).length).toBe(2);
    const ok = await call(deps, '/waivers/etag-1', { method: 'DELETE', headers: { 'if-match': second.headers['etag'] as string } });
    expect(ok.status).toBe(200);
  });

  it('two writers racing without If-Match: both land, and history chains each before to the previous after', async () => {
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => put('race-1', body({ owner: `${n}@example.com` }))));
    const h = await table.history('race-1');
    expect(h.length).toBe(4);
    expect(h[0]?.before).toBeNull();
    // In version order, each change replaced exactly what the one before it wrote, and the last is what is stored.
    expect(h.slice(1).map((c) => c.before?.owner)).toEqual(h.slice(0, -1).map((c) => c.after?.owner));
    expect(h[3]?.after?.owner).toBe((await table.get('race-1'))?.waiver.owner);
  });
});

describe('the effective list', () => {
  it('a PUT takes effect at once through the same service; another instance sees it within its cache time', async () => {
    const svc = service();
    const before = await svc.cache.current();
    let clock = 0;
    const other = cachedWaivers({ defaults: true, file: null, table }, { ttlMs: 60_000, now: () => clock });
    await other.current();
    await call({ ...deps, waivers: svc }, '/waivers/live-1', { method: 'PUT', body: JSON.stringify(body({ topic: 'kubelet.anonymous-auth' })) });
    const after = await svc.cache.current();
    expect(after.length).toBe(before.length + 1);
    expect(after[0]).toMatchObject({ source: 'table' });
    expect((await other.current()).some((w) => w.id === 'live-1')).toBe(false);
    clock = 60_000;
    expect((await other.current()).some((w) => w.id === 'live-1')).toBe(true);
  });

  it('DEFAULT_WAIVERS=off lists no default waiver; the file and table ones stay', async () => {
    const off = await service({ defaults: false }).list();
    expect(off.some((w) => w.source === 'default')).toBe(false);
    expect(off.some((w) => w.source === 'file')).toBe(true);
    expect(off.some((w) => w.source === 'table')).toBe(true);
  });

  it('without a waiver service the routes answer 503', async () => {
    const r = await call(depsFor(store), '/waivers');
    expect(r.status).toBe(503);
  });
});
