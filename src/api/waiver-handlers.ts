/**
 * GET /waivers, GET|PUT|DELETE /waivers/{id}, GET /waivers/{id}/history. PUT and DELETE are
 * registered at the admin key level (functions/api.ts); the caller recorded with each change is
 * the App Service Authentication principal, or "admin key" (src/waivers/principal.ts).
 * ETags: GET /waivers/{id} and PUT answer the table row's ETag; PUT and DELETE honour If-Match
 * (412 when the waiver changed since) and PUT honours If-None-Match: * (412 when it exists).
 */
import { InputError } from '../model/errors.js';
import { WaiverWriteError, type WaiverCondition } from '../store/waivers.js';
import type { ListedWaiver } from '../waivers/effective.js';
import { principalOf } from '../waivers/principal.js';
import type { WaiverService } from '../waivers/service.js';
import { noQuery, parseQuery } from './query.js';
import { ApiError, badRequest, json, notFound } from './respond.js';
import type { WaiverOut } from './waiver-schemas.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './types.js';

function service(deps: ApiDeps): WaiverService {
  if (!deps.waivers) throw new ApiError(503, 'WaiversUnavailable', 'the waivers table is not configured on this host', { 'retry-after': '60' });
  return deps.waivers;
}

function out(w: ListedWaiver): WaiverOut {
  const { id, topic, checkId, benchmark, scope, reason, owner, expires, source } = w;
  const base: WaiverOut = { id, topic, checkId, benchmark, scope, reason, owner, expires, source };
  return 'updatedAt' in w ? { ...base, updatedAt: w.updatedAt, updatedBy: w.updatedBy } : base;
}

function header(req: ApiRequest, name: string): string | undefined {
  return Object.entries(req.headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

function conditionOf(req: ApiRequest): WaiverCondition {
  const ifMatch = header(req, 'if-match')?.trim();
  const ifNoneMatch = header(req, 'if-none-match')?.trim();
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw badRequest('header If-None-Match: only "*" (create only) is supported');
  if (ifMatch === '') throw badRequest('header If-Match is empty; send the ETag of GET /api/waivers/{id} or "*"');
  return { ...(ifMatch !== undefined ? { ifMatch } : {}), ...(ifNoneMatch === '*' ? { ifNoneMatch: true } : {}) };
}

function bodyOf(req: ApiRequest): unknown {
  const b = req.body;
  const text = typeof b === 'string' ? b : b instanceof Uint8Array ? Buffer.from(b).toString('utf8') : null;
  if (text === null) return b;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest(
      'request body is not JSON; send a waiver as a waiver file writes it: {"topic": ..., "scope": ..., "reason": ..., "owner": ..., "expires": "YYYY-MM-DD"}',
    );
  }
}

/** The service's own errors as HTTP answers: bad input 400 (naming the field), a precondition 412, absent 404. */
async function answering<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WaiverWriteError) throw e.status === 404 ? notFound(e.message) : new ApiError(412, 'PreconditionFailed', e.message);
    // Its problem names the field (body.expires, path segment id); the input is this request.
    if (e instanceof InputError) throw badRequest(e.problem);
    throw e;
  }
}

const etagHeader = (etag: string | null): Record<string, string> => (etag ? { etag } : {});

export async function listWaivers(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  parseQuery(noQuery, req.query);
  return json(200, { waivers: (await service(deps).list()).map(out) });
}

export async function getWaiver(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  parseQuery(noQuery, req.query);
  const id = params['id'] ?? '';
  const found = await service(deps).get(id);
  if (!found) throw notFound(`waiver "${id.slice(0, 120)}" is not known (not in the waivers table, WAIVERS_FILE or the defaults)`);
  return json(200, out(found.waiver), etagHeader(found.etag));
}

export async function putWaiver(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  parseQuery(noQuery, req.query);
  const s = service(deps);
  const condition = conditionOf(req);
  const body = bodyOf(req);
  const r = await answering(() => s.put(params['id'] ?? '', body, principalOf(req.headers), condition));
  return json(200, { waiver: out(r.stored.waiver), created: r.created }, etagHeader(r.stored.etag));
}

export async function deleteWaiver(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  parseQuery(noQuery, req.query);
  const s = service(deps);
  const condition = conditionOf(req);
  const before = await answering(() => s.remove(params['id'] ?? '', principalOf(req.headers), condition));
  return json(200, { deleted: out(before) });
}

export async function getWaiverHistory(req: ApiRequest, deps: ApiDeps, params: Record<string, string>): Promise<ApiResponse> {
  parseQuery(noQuery, req.query);
  const id = params['id'] ?? '';
  const changes = await answering(() => service(deps).history(id));
  if (changes.length === 0) throw notFound(`waiver "${id}" has no recorded change (it was never in the waivers table)`);
  return json(200, { id, changes });
}
