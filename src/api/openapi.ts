/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas of query strings
 * and bodies (z.toJSONSchema emits JSON Schema 2020-12, OpenAPI 3.1's dialect).
 */
import { z } from 'zod';
import { integerParams } from './query.js';
import { ROUTE_DOCS, type RouteDoc } from './routes.js';
import { apiSchemas } from './schemas.js';
import { productVersion } from './version.js';

type Json = Record<string, unknown>;

const REF = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });

function componentSchemas(): Record<string, Json> {
  const { schemas } = z.toJSONSchema(apiSchemas, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  const out: Record<string, Json> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    out[id] = rest;
  }
  return out;
}

/** The schema of a schema registered in apiSchemas, as a $ref. */
function refOf(schema: z.ZodType): Json {
  const meta = apiSchemas.get(schema);
  if (!meta) throw new Error('openapi: a response schema is not registered in apiSchemas');
  return REF(meta.id);
}

function queryParameters(doc: RouteDoc): Json[] {
  const js = z.toJSONSchema(doc.query, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const range = integerParams.get(ctx.zodSchema);
      if (!range) return;
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Json)[k];
      Object.assign(ctx.jsonSchema, { type: 'integer', ...range });
    },
  }) as { properties?: Record<string, Json> };
  const params = Object.entries(js.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
  return [
    ...params,
    { name: 'code', in: 'query', required: false, description: 'Function key (Azure Functions); accepted on every route.', schema: { type: 'string' } },
  ];
}

function errorResponse(description: string): Json {
  return { description, content: { 'application/json': { schema: REF('Error') } } };
}

function operation(doc: RouteDoc): Json {
  const responses: Json = {};
  if ('raw' in doc.success) {
    responses[String(doc.success.status)] = {
      description: 'OK',
      content: { [doc.success.mediaType]: { schema: doc.success.mediaType === 'text/html' ? { type: 'string' } : { type: 'object' } } },
    };
  } else {
    const content: Json = { 'application/json': { schema: refOf(doc.success.schema) } };
    if (doc.csv) content['text/csv'] = { schema: { type: 'string', description: doc.csv } };
    responses[String(doc.success.status)] = { description: doc.success.status === 202 ? 'Accepted' : 'OK', content };
  }
  responses['400'] = errorResponse('A query parameter, path segment or body is not valid; the message names it.');
  if (doc.notFound) responses['404'] = errorResponse('Not found; the message names what.');
  if (doc.preconditions) responses['412'] = errorResponse('If-Match or If-None-Match did not hold: the resource changed, exists, or does not.');
  responses['405'] = errorResponse('Method not allowed; see the Allow header.');
  responses['422'] = errorResponse('The answer would be larger than the API answers (ResponseTooLarge); ask for a smaller page.');
  if (!doc.storeFree) responses['503'] = errorResponse('The results store did not answer.');
  const op: Json = {
    operationId: doc.name,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    parameters: [
      ...doc.pathParams.map((p) => ({
        name: p.name,
        in: 'path',
        required: true,
        description: p.description,
        schema: { type: 'string', ...(p.pattern ? { pattern: p.pattern } : {}) },
      })),
      ...queryParameters(doc),
    ],
    responses,
    'x-auth-level': doc.authLevel,
  };
  if (doc.authLevel !== 'anonymous') op['security'] = [{ functionKey: [] }, { functionKeyHeader: [] }];
  if (doc.requestBody) op['requestBody'] = { required: doc.method === 'PUT', content: { 'application/json': { schema: refOf(doc.requestBody) } } };
  return op;
}

let cached: Json | null = null;

export function openApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const doc of ROUTE_DOCS) {
    const p = `/${doc.route}`;
    paths[p] = { ...(paths[p] ?? {}), [doc.method.toLowerCase()]: operation(doc) };
  }
  cached = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'aks-fleet-scanner API',
      version: productVersion(),
      description:
        'CIS Kubernetes Benchmark results of every AKS cluster of a fleet, triaged with the AKS knowledge base. JSON by default; CSV with ?format=csv or Accept: text/csv where noted.',
    },
    servers: [{ url: '/api' }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'query', name: 'code' },
        functionKeyHeader: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
      },
    },
  };
  return cached;
}
