/** Dispatch: route, method, then the route's handler; every failure becomes a JSON error body. */
import { InputError } from '../model/errors.js';
import { StoreError } from '../store/errors.js';
import { dashboardResponse } from './dashboard.js';
import { getClusterDiff } from './diff-handlers.js';
import { getMatrix, getTrend } from './dashboard-handlers.js';
import { getCheck, getCluster, getClusterHistory, getSummary, listClusters } from './fleet-handlers.js';
import { openApiDocument } from './openapi.js';
import { noQuery, parseQuery } from './query.js';
import { ApiError, errorResponse, json } from './respond.js';
import { matchRoutes, pathSegments, type RouteName } from './routes.js';
import { getNode } from './node-handlers.js';
import { getScan, listScans, requestScan } from './scan-handlers.js';
import { deleteWaiver, getWaiver, getWaiverHistory, listWaivers, putWaiver } from './waiver-handlers.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';
import { productVersion } from './version.js';

type Handler = (req: ApiRequest, deps: ApiDeps, params: Record<string, string>) => Promise<ApiResponse>;

const HANDLERS: Record<RouteName, Handler> = {
  health: async (req, deps) => {
    parseQuery(noQuery, req.query);
    return json(200, { status: 'ok', version: productVersion(), ...(deps.features ? { features: deps.features() } : {}) });
  },
  openapi: async (req) => {
    parseQuery(noQuery, req.query);
    return json(200, openApiDocument());
  },
  dashboard: async (req) => {
    parseQuery(noQuery, req.query);
    return dashboardResponse();
  },
  summary: getSummary,
  fleetMatrix: getMatrix,
  fleetTrend: getTrend,
  clusters: listClusters,
  cluster: getCluster,
  clusterHistory: getClusterHistory,
  clusterDiff: getClusterDiff,
  node: getNode,
  check: getCheck,
  scans: listScans,
  scan: getScan,
  requestScan,
  waivers: listWaivers,
  waiver: getWaiver,
  putWaiver,
  deleteWaiver,
  waiverHistory: getWaiverHistory,
};

/** Never the store's own message verbatim: the operation and status only, which hold no credentials. */
function storeUnavailable(e: StoreError): ApiError {
  const code = e.code && /^[A-Za-z]+$/.test(e.code) ? ` ${e.code}` : '';
  const status = e.statusCode ? ` (${e.statusCode}${code})` : code ? ` (${code.trim()})` : '';
  const operation = e.operation.replace(/[^\w .:~-]/g, '?').slice(0, 120);
  return new ApiError(503, 'StoreUnavailable', `the results store did not answer: ${operation} failed${status}; try again later`, { 'retry-after': '30' });
}

export async function handleApiRequest(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  try {
    const segments = pathSegments(req.path);
    if (!segments) throw new ApiError(400, 'BadRequest', `path "${req.path.slice(0, 200)}" has a broken percent-encoding`);
    const matches = matchRoutes(segments);
    if (matches.length === 0) throw new ApiError(404, 'NotFound', `no route /api/${segments.join('/').slice(0, 200)}; see /api/openapi.json`);
    const method = req.method.toUpperCase();
    const match = matches.find((m) => m.doc.method === method);
    if (!match) {
      const allow = [...new Set(matches.map((m) => m.doc.method))].join(', ');
      throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on /api/${segments.join('/').slice(0, 200)}; allowed: ${allow}`, { allow });
    }
    return await HANDLERS[match.doc.name](req, deps, match.params);
  } catch (e) {
    if (e instanceof ApiError) return errorResponse(e);
    if (e instanceof StoreError) return errorResponse(storeUnavailable(e));
    // The store's own argument checks (e.g. a key too long for Table Storage) name the input.
    if (e instanceof InputError) return errorResponse(new ApiError(400, 'BadRequest', e.message));
    deps.log?.('api: unexpected error', e);
    return errorResponse(new ApiError(500, 'InternalError', 'internal error; the server log has the details'));
  }
}
