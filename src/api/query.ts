/**
 * Query-string validation with zod. Every route names the parameters it accepts; anything else,
 * a repeated parameter or a bad value is a 400 naming the parameter. Values are checked against
 * what ARM allows (a subscription id is a GUID, a resource group name has ARM's characters), and
 * reach table queries only through the store, whose odata tag quotes them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DISPOSITIONS } from '../knowledge/index.js';
import { GUID } from '../model/ids.js';
import { badRequest } from './respond.js';

/** Azure Functions passes the function key as ?code=; accepted everywhere and never used. */
const FUNCTION_KEY_PARAM = 'code';

/** ARM: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period. */
export const RESOURCE_GROUP = /^[\p{L}\p{N}_\-.()]{0,89}[\p{L}\p{N}_\-()]$/u;
/** AKS: 1-63 letters, digits, underscores and hyphens, starting and ending with a letter or digit. */
export const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
export const BENCHMARK = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SCAN_OR_RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const TOPIC = /^[a-z0-9]+(?:[.-][a-z0-9]+)+$/;
export const CHECK_ID = /^\d+(?:\.\d+)+$/;
/** Kubernetes node names are DNS subdomains (RFC 1123): 1-253 lower-case letters, digits, - and ., alphanumeric at both ends. */
/** "1.31" (a minor: any patch) or "1.31.2" (exact). */
export const KUBERNETES_VERSION = /^\d{1,3}\.\d{1,3}(?:\.\d{1,4})?$/;
export const NODE_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

export const FILTER_DISPOSITIONS = [...DISPOSITIONS, 'unknown'] as const;

/** Whole-number parameters and their bounds, so the OpenAPI document can call them integers (they arrive as strings). */
export const integerParams = z.registry<{ minimum: number; maximum: number }>();

const int = (min: number, max: number): z.ZodPipe<z.ZodString, z.ZodTransform<number, string>> =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform((s, ctx) => {
      const n = Number(s);
      if (n < min || n > max) {
        ctx.issues.push({ code: 'custom', message: `must be from ${min} to ${max}, got ${n}`, input: s });
        return z.NEVER;
      }
      return n;
    })
    .register(integerParams, { minimum: min, maximum: max });

export const filterParams = {
  subscription: z.string().regex(GUID, 'must be a subscription id (a GUID)').optional(),
  resourceGroup: z.string().regex(RESOURCE_GROUP, 'must be a resource group name (1-90 letters, digits, _ - . ( ), not ending in .)').optional(),
  tag: z
    .string()
    .regex(/^[^=<>%&\\?/]{1,512}(=.{0,256})?$/su, 'must be key or key=value')
    .optional(),
  benchmark: z.string().regex(BENCHMARK, 'must be a kube-bench benchmark name such as aks-1.8').optional(),
  disposition: z.enum(FILTER_DISPOSITIONS, { error: `must be one of ${FILTER_DISPOSITIONS.join(', ')}` }).optional(),
  kubernetesVersion: z.string().regex(KUBERNETES_VERSION, 'must be a Kubernetes version such as 1.31 (any 1.31.x) or 1.31.2').optional(),
};

export const formatParam = { format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional() };

export const pagingParams = {
  top: int(1, 100).optional(),
  skip: int(0, 100_000_000).optional(),
  page: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextPage token of an earlier answer')
    .optional(),
};

export const summaryQuery = z
  .object({
    ...filterParams,
    ...formatParam,
    top: int(1, 100).optional(),
    rows: z.enum(['topics', 'subscriptions'], { error: 'must be topics or subscriptions' }).optional(),
  })
  .strict();
export const clustersQuery = z.object({ ...filterParams, ...formatParam, ...pagingParams }).strict();
export const clusterQuery = z.object({ ...formatParam, scan: z.string().regex(SCAN_OR_RUN_ID, 'must be a scan id').optional() }).strict();
export const diffQuery = z
  .object({
    ...formatParam,
    from: z.string().regex(SCAN_OR_RUN_ID, 'must be a scan id').optional(),
    to: z.string().regex(SCAN_OR_RUN_ID, 'must be a scan id').optional(),
  })
  .strict();
export const historyQuery = z.object({ ...formatParam, top: int(1, 1000).optional() }).strict();
export const checkQuery = z
  .object({
    benchmark: filterParams.benchmark,
    subscription: filterParams.subscription,
    resourceGroup: filterParams.resourceGroup,
    ...formatParam,
    ...pagingParams,
  })
  .strict();
export const scansQuery = z.object({ ...formatParam, top: int(1, 100).optional() }).strict();
export const scanQuery = z.object({ ...formatParam }).strict();
/** Checks per page of a node's result: a page of full checks with triage stays near 1 MB. */
export const NODE_PAGE_MAX = 200;
export const nodeQuery = z.object({ ...clusterQuery.shape, top: int(1, NODE_PAGE_MAX).optional(), skip: int(0, 100_000_000).optional() }).strict();
export const noQuery = z.object({}).strict();

export type Filters = Pick<z.infer<typeof clustersQuery>, 'subscription' | 'resourceGroup' | 'tag' | 'benchmark' | 'disposition' | 'kubernetesVersion'>;

/** Parses a route's query into typed values, or throws a 400 that names the parameter. */
export function parseQuery<S extends z.ZodObject>(schema: S, query: URLSearchParams): z.infer<S> {
  const raw: Record<string, string> = {};
  const allowed = Object.keys(schema.shape);
  for (const [key, value] of query) {
    if (key === FUNCTION_KEY_PARAM) continue;
    if (!allowed.includes(key)) {
      throw badRequest(`unknown query parameter "${key}"; ${allowed.length ? `this route accepts ${allowed.join(', ')}` : 'this route takes no parameters'}`);
    }
    if (key in raw) throw badRequest(`query parameter "${key}" is given more than once`);
    raw[key] = value;
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const name = issue?.path[0] !== undefined ? String(issue.path[0]) : 'query';
    const value = raw[name];
    const shown = value === undefined ? '' : ` (got "${value.length > 60 ? `${value.slice(0, 60)}…` : value}")`;
    throw badRequest(`query parameter "${name}" ${issue?.message ?? 'is not valid'}${shown}`);
  }
  return r.data;
}

/** True when the client asked for CSV with ?format=csv, or with Accept: text/csv and no ?format. */
export function wantsCsv(format: 'json' | 'csv' | undefined, headers: Record<string, string>): boolean {
  if (format !== undefined) return format === 'csv';
  const accept = Object.entries(headers).find(([k]) => k.toLowerCase() === 'accept')?.[1] ?? '';
  return /(^|,)\s*text\/csv\b/i.test(accept);
}

// ---- continuation tokens --------------------------------------------------------------------

function fingerprint(filters: Filters, scope: string): string {
  const f = [
    scope,
    filters.subscription?.toLowerCase(),
    filters.resourceGroup?.toLowerCase(),
    filters.tag,
    filters.benchmark,
    filters.disposition,
    filters.kubernetesVersion,
  ];
  return createHash('sha256').update(JSON.stringify(f)).digest('base64url').slice(0, 12);
}

/**
 * Opaque to clients: the offset and a fingerprint of the filters, so a token replayed with other
 * filters is refused rather than silently paging a different list.
 */
export function encodePageToken(offset: number, filters: Filters, scope = 'clusters'): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint(filters, scope) }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string, filters: Filters, scope = 'clusters'): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('query parameter "page" is not a token this API issued');
  }
  const t = z
    .object({ o: z.int().min(0).max(100_000_000), f: z.string() })
    .strict()
    .safeParse(parsed);
  if (!t.success) throw badRequest('query parameter "page" is not a token this API issued');
  if (t.data.f !== fingerprint(filters, scope))
    throw badRequest('query parameter "page" belongs to a query with other filters; repeat the filters of the first page');
  return t.data.o;
}

/** The heatmap: the filters, and how many top topics become columns. */
export const matrixQuery = z.object({ ...filterParams, topics: int(1, 40).optional() }).strict();
/** The trend: the filters, and how many of the latest runs. */
export const trendQuery = z.object({ ...filterParams, runs: int(1, 30).optional() }).strict();
