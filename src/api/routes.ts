/**
 * The route table: what each route is, who may call it, what it accepts and answers. The handler
 * dispatches on it, the OpenAPI document is generated from it, and the Functions adapter registers
 * from ROUTES (one catch-all function, or one function per entry with its authLevel).
 */
import type { z } from 'zod';
import { GUID } from '../model/ids.js';
import { MatrixSchema, TrendSchema } from '../dashboard/schemas.js';
import {
  checkQuery,
  clusterQuery,
  clustersQuery,
  diffQuery,
  historyQuery,
  matrixQuery,
  noQuery,
  nodeQuery,
  scanQuery,
  scansQuery,
  summaryQuery,
  trendQuery,
} from './query.js';
import {
  CheckFailingSchema,
  ClusterDetailSchema,
  ClusterListSchema,
  HealthSchema,
  HistorySchema,
  NodeResultSchema,
  RunListSchema,
  RunSchema,
  ScanAcceptedSchema,
  ScanRequestSchema,
  SummarySchema,
} from './schemas.js';
import { ClusterDiffSchema } from './diff-schemas.js';
import { WaiverBodySchema, WaiverDeletedSchema, WaiverHistorySchema, WaiverListSchema, WaiverOutSchema, WaiverPutResultSchema } from './waiver-schemas.js';
import type { AuthLevel, HttpMethod, RouteSpec } from './types.js';

export type RouteName =
  | 'health'
  | 'openapi'
  | 'dashboard'
  | 'summary'
  | 'fleetMatrix'
  | 'fleetTrend'
  | 'clusters'
  | 'cluster'
  | 'clusterHistory'
  | 'clusterDiff'
  | 'node'
  | 'check'
  | 'scans'
  | 'scan'
  | 'requestScan'
  | 'waivers'
  | 'waiver'
  | 'putWaiver'
  | 'deleteWaiver'
  | 'waiverHistory';

export interface PathParam {
  name: string;
  description: string;
  pattern?: string;
}

export interface RouteDoc {
  name: RouteName;
  method: HttpMethod;
  route: string;
  authLevel: AuthLevel;
  summary: string;
  description?: string;
  pathParams: PathParam[];
  query: z.ZodObject;
  /** The success body: a zod schema for JSON, or a media type for other content. */
  success: { status: 200 | 202; schema: z.ZodType } | { status: 200; mediaType: 'text/html' | 'application/json'; raw: true };
  /** What one CSV row is, when the route answers CSV too. */
  csv?: string;
  requestBody?: z.ZodType;
  /** Error statuses the route can answer besides 400, 405 and 503. */
  notFound?: boolean;
  /** True when the route honours If-Match / If-None-Match, so it can answer 412. */
  preconditions?: boolean;
  /** True when the route never reads the results store, so it cannot answer 503. */
  storeFree?: boolean;
}

const CLUSTER_PARAMS: PathParam[] = [
  { name: 'subscriptionId', description: 'Subscription id (GUID).', pattern: GUID.source },
  { name: 'resourceGroup', description: 'Resource group name.' },
  { name: 'name', description: 'AKS cluster name.' },
];

const WAIVER_ID_PARAM: PathParam = { name: 'id', description: 'Waiver id: 1-100 letters, digits, ".", "_" and "-".' };

export const ROUTE_DOCS: readonly RouteDoc[] = [
  {
    name: 'health',
    method: 'GET',
    route: 'health',
    authLevel: 'anonymous',
    summary: 'Liveness: answers without touching storage.',
    pathParams: [],
    query: noQuery,
    success: { status: 200, schema: HealthSchema },
  },
  {
    name: 'openapi',
    method: 'GET',
    route: 'openapi.json',
    authLevel: 'function',
    summary: 'This OpenAPI 3.1 document.',
    pathParams: [],
    query: noQuery,
    success: { status: 200, mediaType: 'application/json', raw: true },
    storeFree: true,
  },
  {
    name: 'dashboard',
    method: 'GET',
    route: 'dashboard',
    authLevel: 'anonymous',
    summary: 'A self-contained HTML dashboard over the API (fleet, cluster, node, topic, runs and waivers views).',
    description:
      'Anonymous, so that links from Teams open it: the page holds no data. Its fetches carry the App Service Authentication session, ' +
      'or a function key the user enters once (kept in sessionStorage, sent as x-functions-key, never in a URL). Client-side routes: ' +
      '#/, #/cluster/{subscriptionId}/{resourceGroup}/{name}[/node/{node}], #/topic/{topic}, #/runs, #/waivers.',
    pathParams: [],
    query: noQuery,
    success: { status: 200, mediaType: 'text/html', raw: true },
    storeFree: true,
  },
  {
    name: 'summary',
    method: 'GET',
    route: 'summary',
    authLevel: 'function',
    summary: 'The fleet summary: outcomes, check counts, triage split, top failing topics, subscriptions, staleness.',
    description:
      'Reads only the per-cluster entities (one partition), so its cost grows with the number of clusters. `top` is the number of topFailing rows (default 10). ' +
      '`disposition` keeps clusters failing at least one check of that disposition and topics of that disposition. ' +
      '`tag=key` keeps clusters with that tag, `tag=key=value` those where it has that value (names compare case-insensitively). ' +
      '`kubernetesVersion=1.31` keeps clusters on any 1.31.x, `kubernetesVersion=1.31.2` those on exactly that version.',
    pathParams: [],
    query: summaryQuery,
    success: { status: 200, schema: SummarySchema },
    csv: 'With rows=topics (default) one row per topFailing entry; with rows=subscriptions one row per subscription.',
  },
  {
    name: 'fleetMatrix',
    method: 'GET',
    route: 'fleet/matrix',
    authLevel: 'function',
    summary: 'The heatmap: every cluster (filtered) against the top failing topics, one cell per pair.',
    description:
      'Reads the fleet partition once, as /summary. A cell is pass, none (no results), waived (every failing check of the topic waived for the cluster, ' +
      "cluster- or subscription-wide), or the failing topic's disposition. `topics` 1-40 columns (default 12); filters as /summary.",
    pathParams: [],
    query: matrixQuery,
    success: { status: 200, schema: MatrixSchema },
  },
  {
    name: 'fleetTrend',
    method: 'GET',
    route: 'fleet/trend',
    authLevel: 'function',
    summary: 'FAIL and yours-to-fix per scan run over the last runs, and the clusters whose counts moved at their latest scan.',
    description:
      'Reads the fleet partition, the run index and the last `runs` runs (1-30, default 10), and the scans started since the oldest of them ' +
      'in one $select query (at most 20,000 scans; `changes.truncated` says when more were in the window). Filters as /summary.',
    pathParams: [],
    query: trendQuery,
    success: { status: 200, schema: TrendSchema },
  },
  {
    name: 'clusters',
    method: 'GET',
    route: 'clusters',
    authLevel: 'function',
    summary: 'Clusters with their latest outcome and results, paged.',
    description: 'Ordered by subscription, resource group and name. `top` 1-100 (default 50); continue with `skip` or the opaque `page` token from nextPage.',
    pathParams: [],
    query: clustersQuery,
    success: { status: 200, schema: ClusterListSchema },
    csv: 'One row per cluster of the page.',
  },
  {
    name: 'cluster',
    method: 'GET',
    route: 'clusters/{subscriptionId}/{resourceGroup}/{name}',
    authLevel: 'function',
    summary: "A cluster's latest results per node pool, with triage; ?scan= for an earlier scan.",
    pathParams: CLUSTER_PARAMS,
    query: clusterQuery,
    success: { status: 200, schema: ClusterDetailSchema },
    csv: 'One row per check per node pool.',
    notFound: true,
  },
  {
    name: 'clusterHistory',
    method: 'GET',
    route: 'clusters/{subscriptionId}/{resourceGroup}/{name}/history',
    authLevel: 'function',
    summary: "A cluster's totals per scan, newest first.",
    description: '`top` 1-1000 scans (default 100).',
    pathParams: CLUSTER_PARAMS,
    query: historyQuery,
    success: { status: 200, schema: HistorySchema },
    csv: 'One row per scan.',
    notFound: true,
  },
  {
    name: 'clusterDiff',
    method: 'GET',
    route: 'clusters/{subscriptionId}/{resourceGroup}/{name}/diff',
    authLevel: 'function',
    summary: 'What changed between two scans of a cluster: new FAILs, fixed, still failing, new WARNs, coverage, outcome change.',
    description:
      'Checks are compared per (pool, knowledge-base topic), as the alerts do, so a benchmark upgrade that renumbers checks is no change and a check only one benchmark has is coverage added or removed. ' +
      '`to` defaults to the latest attempt and `from` to the attempt before `to` (the last two scans). A scan id of another cluster is not found (404).',
    pathParams: CLUSTER_PARAMS,
    query: diffQuery,
    success: { status: 200, schema: ClusterDiffSchema },
    csv: 'One row per changed check, with the change (newFailures, fixed, stillFailing, newWarnings, coverageAdded, coverageRemoved).',
    notFound: true,
  },
  {
    name: 'node',
    method: 'GET',
    route: 'clusters/{subscriptionId}/{resourceGroup}/{name}/nodes/{node}',
    authLevel: 'function',
    summary: "One node's full result: every check with its status, expected and actual values, remediation and the knowledge base's triage.",
    description:
      'Of the latest results (the latest scan that scanned), or of ?scan=. Kept for the retention period (RETENTION_DAYS), like the scan it belongs to. ' +
      'Paged: `top` 1-200 checks (default 200), continue with `skip` (page.nextSkip).',
    pathParams: [...CLUSTER_PARAMS, { name: 'node', description: 'Kubernetes node name, as the cluster detail lists it under pools[].nodes[].name.' }],
    query: nodeQuery,
    success: { status: 200, schema: NodeResultSchema },
    csv: 'One row per check of the page.',
    notFound: true,
  },
  {
    name: 'check',
    method: 'GET',
    route: 'checks/{topicOrId}',
    authLevel: 'function',
    summary: 'A knowledge-base entry and every cluster whose latest results fail it.',
    description:
      'By topic (e.g. kubelet.read-only-port), or by check id with ?benchmark= (e.g. 3.2.4?benchmark=aks-1.8). The failing clusters are paged like /clusters: `top` 1-100 (default 50), `skip` or `page`.',
    pathParams: [{ name: 'topicOrId', description: 'A knowledge-base topic, or a kube-bench check id.' }],
    query: checkQuery,
    success: { status: 200, schema: CheckFailingSchema },
    csv: 'One row per failing cluster of the page (the columns of /clusters CSV).',
    notFound: true,
  },
  {
    name: 'scans',
    method: 'GET',
    route: 'scans',
    authLevel: 'function',
    summary: 'Scan runs, newest first, with their progress.',
    description: '`top` 1-100 (default 20).',
    pathParams: [],
    query: scansQuery,
    success: { status: 200, schema: RunListSchema },
    csv: 'One row per run.',
  },
  {
    name: 'scan',
    method: 'GET',
    route: 'scans/{id}',
    authLevel: 'function',
    summary: 'One scan run and its progress.',
    pathParams: [{ name: 'id', description: 'Run id.' }],
    query: scanQuery,
    success: { status: 200, schema: RunSchema },
    csv: 'One row: the run (the columns of /scans CSV).',
    notFound: true,
  },
  {
    name: 'requestScan',
    method: 'POST',
    route: 'scans',
    authLevel: 'admin',
    summary: 'Starts a scan of the listed clusters, or of the whole fleet with an empty body.',
    pathParams: [],
    query: noQuery,
    requestBody: ScanRequestSchema,
    success: { status: 202, schema: ScanAcceptedSchema },
  },
  {
    name: 'waivers',
    method: 'GET',
    route: 'waivers',
    authLevel: 'function',
    summary: 'Every waiver with its source: the waivers table, WAIVERS_FILE, and the shipped defaults (unless DEFAULT_WAIVERS=off).',
    description: 'In the order they apply: the first waiver that matches a check is the one used. Expired waivers are listed too (compare `expires`).',
    pathParams: [],
    query: noQuery,
    success: { status: 200, schema: WaiverListSchema },
  },
  {
    name: 'waiver',
    method: 'GET',
    route: 'waivers/{id}',
    authLevel: 'function',
    summary: 'One waiver; a table waiver comes with its ETag (for If-Match on PUT and DELETE).',
    pathParams: [WAIVER_ID_PARAM],
    query: noQuery,
    success: { status: 200, schema: WaiverOutSchema },
    notFound: true,
  },
  {
    name: 'putWaiver',
    method: 'PUT',
    route: 'waivers/{id}',
    authLevel: 'admin',
    summary: 'Creates or replaces a waiver of the waivers table; the change is recorded with who made it.',
    description:
      'The body is a waiver as a waiver file writes it (topic or check, scope, reason, owner, expires); `expires` is required, from today to at most WAIVER_MAX_DAYS (default 365) days ahead. ' +
      'If-Match: <ETag> replaces only that version (412 otherwise); If-None-Match: * creates only. The answer carries the new ETag.',
    pathParams: [WAIVER_ID_PARAM],
    query: noQuery,
    requestBody: WaiverBodySchema,
    success: { status: 200, schema: WaiverPutResultSchema },
    preconditions: true,
  },
  {
    name: 'deleteWaiver',
    method: 'DELETE',
    route: 'waivers/{id}',
    authLevel: 'admin',
    summary: 'Deletes a waiver of the waivers table; the change is recorded with who made it. If-Match: <ETag> deletes only that version.',
    pathParams: [WAIVER_ID_PARAM],
    query: noQuery,
    success: { status: 200, schema: WaiverDeletedSchema },
    notFound: true,
    preconditions: true,
  },
  {
    name: 'waiverHistory',
    method: 'GET',
    route: 'waivers/{id}/history',
    authLevel: 'function',
    summary: "Every recorded change of a table waiver, oldest first: when, who (Entra ID principal or 'admin key'), before and after.",
    pathParams: [WAIVER_ID_PARAM],
    query: noQuery,
    success: { status: 200, schema: WaiverHistorySchema },
    notFound: true,
  },
];

/** Plain route data for adapters. */
export const ROUTES: readonly RouteSpec[] = ROUTE_DOCS.map((r) => ({
  name: r.name,
  method: r.method,
  route: r.route,
  authLevel: r.authLevel,
  summary: r.summary,
}));

export interface RouteMatch {
  doc: RouteDoc;
  params: Record<string, string>;
}

/** Splits a path into decoded segments; null when a segment's percent-encoding is broken. */
export function pathSegments(path: string): string[] | null {
  const parts =
    path
      .split('?')[0]
      ?.split('/')
      .filter((s) => s !== '') ?? [];
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return null;
  }
}

/** Every route whose template matches the segments, whatever its method. */
export function matchRoutes(segments: readonly string[]): RouteMatch[] {
  const out: RouteMatch[] = [];
  for (const doc of ROUTE_DOCS) {
    const t = doc.route.split('/');
    if (t.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < t.length && ok; i++) {
      const part = t[i] as string;
      const seg = segments[i] as string;
      const m = /^\{(\w+)\}$/.exec(part);
      if (m?.[1]) params[m[1]] = seg;
      else ok = part === seg;
    }
    if (ok) out.push({ doc, params });
  }
  return out;
}
