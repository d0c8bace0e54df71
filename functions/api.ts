// HTTP: the fleet API. The handler is src/api's; this file only maps Functions' request and response onto it.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

export async function apiHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const [{ handleApiRequest }, { apiDeps }] = await Promise.all([import('../src/api/index.js'), import('../src/runtime/api-deps.js')]);
  const url = new URL(request.url);
  const text = request.method === 'GET' ? '' : await request.text();
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  const res = await handleApiRequest(
    { method: request.method, path: url.pathname.replace(/^\/api(?=\/|$)/, '') || '/', query: url.searchParams, headers, ...(text ? { body: text } : {}) },
    await apiDeps((m, e) => context.error(m, e)),
  );
  return { status: res.status, headers: res.headers, body: res.body };
}

// Keys per route, as src/api's ROUTES declares them (test/functions/route-order.test.ts checks every
// route is served at its level or stricter): health is anonymous for uptime probes, the dashboard page
// (which holds no data) so that Teams links open it, starting a scan and changing a waiver (PUT,
// DELETE /api/waivers/{id}) need the admin key, and everything else, the OpenAPI document and the
// dashboard's data calls included, a function key.
//
// The host ignores this order: it sorts HTTP functions by name (case-insensitive) and the first
// route that matches wins (azure-functions-host FunctionMetadataManager.cs,
// WebScriptHostHttpRoutesManager.cs). The catch-all's name therefore sorts after every specific
// route's name; named "api" it came first and answered /api/health with a function key.
export const REGISTRATIONS = [
  { name: 'dashboard', route: 'dashboard', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'health', route: 'health', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'requestScan', route: 'scans', methods: ['POST'], authLevel: 'admin' },
  { name: 'putWaiver', route: 'waivers/{id}', methods: ['PUT'], authLevel: 'admin' },
  { name: 'deleteWaiver', route: 'waivers/{id}', methods: ['DELETE'], authLevel: 'admin' },
  { name: 'zzCatchAll', route: '{*path}', methods: ['GET'], authLevel: 'function' },
] as const;

for (const r of REGISTRATIONS) app.http(r.name, { route: r.route, methods: [...r.methods], authLevel: r.authLevel, handler: apiHandler });
