/**
 * The OpenAPI document against real answers: every route is called (successes and errors) over the
 * seeded Azurite store, and each JSON body must validate against the schema the document gives for
 * that path, method, status and media type (Ajv, JSON Schema 2020-12, OpenAPI 3.1's dialect).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type ApiDeps } from '../../src/api/index.js';
import { matchRoutes, pathSegments } from '../../src/api/routes.js';
import { OUTCOME_KINDS } from '../../src/model/cluster.js';
import { GUID } from '../../src/model/ids.js';
import { CHECK_STATUSES } from '../../src/model/result.js';
import { RUN_TRIGGERS } from '../../src/model/run.js';
import { createStore } from '../../src/store/store.js';
import { createWaiverTable } from '../../src/store/waivers.js';
import { WaiverService } from '../../src/waivers/service.js';
import { useAzurite } from '../support/azurite.js';
import { call, depsFor, NOW, seedFleet, SUB_A, SUB_B, type Answer, type Call } from './fleet.js';

const az = useAzurite();

type Json = Record<string, unknown>;
let deps: ApiDeps;
let broken: ApiDeps;
let doc: Json;

beforeAll(async () => {
  const store = await az.store();
  await seedFleet(store);
  const table = createWaiverTable(az.target(), { tablePrefix: store.tables.clusters.replace(/Clusters$/, '') });
  await table.ensureTable();
  deps = { ...depsFor(store), waivers: new WaiverService({ table, file: null, defaults: true, maxDays: 365, now: () => NOW }) };
  const target = az.target();
  const value = target.kind === 'connection-string' ? target.value.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9') : '';
  broken = {
    ...depsFor(createStore({ kind: 'connection-string', value }, { timeoutMs: 2000, listTimeoutMs: 2000, retry: { maxRetries: 0 } })),
    waivers: new WaiverService({
      table: createWaiverTable({ kind: 'connection-string', value }, { timeoutMs: 2000, retry: { maxRetries: 0 } }),
      file: null,
      defaults: true,
      maxDays: 365,
      now: () => NOW,
    }),
  };
  doc = (await call(deps, '/openapi.json')).json as Json;
});

const prod1 = `/clusters/${SUB_A}/rg-prod/aks-prod-1`;
const dev1 = `/clusters/${SUB_A}/rg-dev/aks-dev-1`;

const WAIVER_BODY = { topic: 'kubelet.read-only-port', scope: 'all', reason: 'closed (SEC-1)', owner: 'sec@example.com', expires: '2027-01-31' };

/** [deps to use, path, options]: every route, its filters and its error answers. */
function catalogue(): [ApiDeps, string, Call?][] {
  const ok: [string, Call?][] = [
    ['/health'],
    ['/openapi.json'],
    ['/dashboard'],
    ['/summary'],
    [`/summary?subscription=${SUB_A}&resourceGroup=rg-prod&benchmark=aks-1.8&disposition=environment&top=3`],
    ['/summary?format=csv'],
    ['/summary?format=csv&rows=subscriptions'],
    ['/fleet/matrix'],
    ['/fleet/matrix?topics=3&kubernetesVersion=1.31'],
    ['/fleet/trend'],
    ['/fleet/trend?runs=2&disposition=action'],
    ['/clusters'],
    [`/clusters?top=2&subscription=${SUB_B}`],
    ['/clusters?disposition=unknown&skip=0'],
    ['/clusters', { headers: { accept: 'text/csv' } }],
    [prod1],
    [dev1],
    [`${dev1}?scan=scan-dev1-2`],
    [`${prod1}?format=csv`],
    [`${dev1}/history`],
    [`${dev1}/history?format=csv`],
    [`${dev1}/diff`],
    [`${dev1}/diff?from=scan-dev1-1&to=scan-dev1-2&format=csv`],
    [`${dev1}/diff?from=unknown-scan`],
    [`${prod1}/nodes/aks-system-0`],
    [`${dev1}/nodes/aks-dev-0`],
    [`${dev1}/nodes/aks-dev-0?scan=scan-dev1-1`],
    [`${prod1}/nodes/aks-user-0?format=csv`],
    ['/checks/kubelet.read-only-port?format=csv'],
    ['/scans/run-1?format=csv'],
    ['/checks/kubelet.read-only-port'],
    [`/checks/kubelet.read-only-port?benchmark=aks-1.8&subscription=${SUB_A}`],
    ['/checks/4.9.99?benchmark=cis-1.10'],
    ['/checks/kubelet.read-only-port?top=1&skip=1'],
    ['/scans'],
    ['/scans?format=csv'],
    ['/scans/run-1'],
    [
      '/scans',
      {
        method: 'POST',
        body: { clusters: [`/subscriptions/${SUB_A}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-1`] },
      },
    ],
    ['/scans', { method: 'POST' }],
    ['/waivers/w-doc', { method: 'PUT', body: WAIVER_BODY }],
    ['/waivers'],
    ['/waivers/w-doc'],
    ['/waivers/default:kubelet.read-only-port'],
    ['/waivers/w-doc', { method: 'PUT', body: WAIVER_BODY, headers: { 'if-none-match': '*' } }],
    ['/waivers/w-doc', { method: 'DELETE' }],
    ['/waivers/w-doc/history'],
    ['/waivers/w-doc', { method: 'DELETE' }],
    ['/waivers/w-bad', { method: 'PUT', body: { ...WAIVER_BODY, expires: '2030-01-01' } }],
    ['/waivers/never/history'],
    // Errors.
    ['/summary?bogus=1'],
    ['/summary?tag=a<b'],
    ['/clusters?tag=env=prod'],
    ['/clusters?top=1000'],
    ['/clusters/x/y/z'],
    [`/clusters/${SUB_A}/rg-prod/missing`],
    [`/clusters/${SUB_A}/rg-prod/missing/history`],
    [`${prod1}/nodes/no-such-node`],
    [`${prod1}/nodes/Not_A_Node`],
    [`/clusters/${SUB_B}/rg-b/aks-b-1/nodes/any-node`],
    ['/checks/3.2.4'],
    ['/checks/kubelet.missing-topic'],
    ['/scans/unknown-run'],
    ['/scans', { method: 'POST', body: '{' }],
    ['/summary', { method: 'PATCH' }],
    ['/scans', { method: 'DELETE' }],
    ['/does/not/exist'],
  ];
  const down: [string, Call?][] = [
    ['/summary'],
    ['/clusters'],
    [prod1],
    [`${dev1}/history`],
    [`${dev1}/diff`],
    [`${prod1}/nodes/aks-system-0`],
    ['/checks/kubelet.read-only-port'],
    ['/scans'],
    ['/scans/run-1'],
    ['/waivers'],
  ];
  return [...ok.map(([p, o]): [ApiDeps, string, Call?] => [deps, p, o]), ...down.map(([p, o]): [ApiDeps, string, Call?] => [broken, p, o])];
}

function ajv(): Ajv2020 {
  const a = new Ajv2020({ strict: false, allErrors: true });
  a.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
  });
  a.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  return a;
}

function mediaOf(a: Answer): string {
  return (a.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document naming every route with its auth level', () => {
    expect(doc['openapi']).toBe('3.1.0');
    const paths = doc['paths'] as Record<string, Record<string, Json>>;
    for (const r of ROUTES) {
      const op = paths[`/${r.route}`]?.[r.method.toLowerCase()];
      expect(op, `${r.method} /${r.route}`).toBeDefined();
      expect(op?.['x-auth-level']).toBe(r.authLevel);
      expect(op?.['operationId']).toBe(r.name);
    }
    // Every $ref points at a component that exists.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    const schemas = (doc['components'] as { schemas: Json }).schemas;
    for (const ref of refs) expect(Object.keys(schemas), ref).toContain(ref.slice('"$ref":"#/components/schemas/'.length, -1));
  });

  it('describes every real answer: each JSON body validates against its documented schema', async () => {
    const validator = ajv();
    const components = doc['components'] as Json;
    const paths = doc['paths'] as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>>;
    const covered = new Set<string>();
    let n = 0;
    for (const [d, p, o] of catalogue()) {
      const a = await call(d, p, o);
      const method = (o?.method ?? 'GET').toLowerCase();
      const segments = pathSegments(new URL(p, 'http://x/').pathname) ?? [];
      const match = matchRoutes(segments);
      const where = `${method.toUpperCase()} ${p} -> ${a.status}`;
      let schema: Json;
      if (match.length === 0) {
        expect(a.status, where).toBe(404);
        schema = { $ref: '#/components/schemas/Error' };
      } else {
        const template = `/${match[0]?.doc.route}`;
        const op = paths[template]?.[method];
        if (!op) {
          // A method the path does not have: the 405 answer is still an Error body.
          expect(a.status, where).toBe(405);
          schema = { $ref: '#/components/schemas/Error' };
        } else {
          const response = op.responses[String(a.status)];
          expect(response, `${where}: status not documented`).toBeDefined();
          const media = response?.content?.[mediaOf(a)];
          expect(media, `${where}: media type ${mediaOf(a)} not documented`).toBeDefined();
          schema = media?.schema ?? {};
          if (a.status < 300) covered.add(`${method.toUpperCase()} ${template}`);
        }
      }
      if (mediaOf(a) !== 'application/json') continue;
      const validate = validator.compile({ ...schema, components });
      const valid = validate(a.json);
      expect(valid ? null : { where, errors: validate.errors?.slice(0, 5) }, where).toBeNull();
      n++;
    }
    expect(n).toBeGreaterThan(30);
    expect([...covered].sort()).toEqual(ROUTES.map((r) => `${r.method} /${r.route}`).sort());
  });

  it('publishes the enums of src/model and id patterns, and accepts exactly what they accept', () => {
    const schemas = (doc['components'] as { schemas: Record<string, Json> }).schemas;
    const enumsOf = (value: unknown, key: string): unknown[][] => {
      const found: unknown[][] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === key && x && typeof x === 'object' && Array.isArray((x as Json)['enum'])) found.push((x as Json)['enum'] as unknown[]);
            walk(x);
          }
        }
      };
      walk(value);
      return found;
    };
    expect(enumsOf(schemas['Run'], 'trigger')).toEqual([[...RUN_TRIGGERS]]);
    expect(enumsOf(schemas['ClusterItem'], 'outcome')).toEqual([[...OUTCOME_KINDS]]);
    // Check statuses (the knowledge base's Microsoft status, Pass/Fail/..., is another vocabulary).
    const statuses = enumsOf(schemas, 'status').filter((e) => e.includes('FAIL'));
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    for (const e of statuses) expect(e).toEqual([...CHECK_STATUSES]);
    const paths = doc['paths'] as Record<string, Record<string, { parameters: { name: string; in: string; schema: Json }[] }>>;
    const sub = paths['/clusters/{subscriptionId}/{resourceGroup}/{name}']?.['get']?.parameters.find((p) => p.name === 'subscriptionId');
    expect(sub?.schema['pattern']).toBe(GUID.source);
    const published = new RegExp(String(sub?.schema['pattern']));
    for (const id of [SUB_A, SUB_A.toUpperCase(), 'not-a-guid', `${SUB_A}0`]) expect(published.test(id), id).toBe(GUID.test(id));
  });

  it('documents exactly the query parameters each route accepts', async () => {
    const paths = doc['paths'] as Record<string, Record<string, { parameters: { name: string; in: string }[] }>>;
    const sample: Record<string, string> = {
      subscriptionId: SUB_A,
      resourceGroup: 'rg-prod',
      name: 'aks-prod-1',
      topicOrId: 'kubelet.read-only-port',
      id: 'run-1',
      node: 'aks-system-0',
    };
    for (const r of ROUTES) {
      const concrete = `/${r.route.replace(/\{(\w+)\}/g, (_m, k: string) => sample[k] ?? k)}`;
      const documented = paths[`/${r.route}`]?.[r.method.toLowerCase()]?.parameters.filter((p) => p.in === 'query').map((p) => p.name) ?? [];
      for (const name of [...documented, 'undocumented']) {
        const a = await call(deps, `${concrete}?${name}=1`, { method: r.method });
        const unknown = a.status === 400 && /unknown query parameter/.test(a.text);
        expect(unknown, `${r.method} ${concrete} ?${name}`).toBe(name === 'undocumented');
      }
    }
  });

  it('is strict: a body with an extra or missing property does not validate', async () => {
    const validator = ajv();
    const components = doc['components'] as Json;
    const summary = (await call(deps, '/summary')).json as Json;
    const v = validator.compile({ $ref: '#/components/schemas/FleetSummary', components });
    expect(v(summary)).toBe(true);
    expect(v({ ...summary, extra: 1 })).toBe(false);
    const { lastScan: _dropped, ...missing } = summary;
    expect(v(missing)).toBe(false);
  });
});
