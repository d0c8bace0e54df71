// HTTP: the fleet API. The handler is src/api's; this file only maps Functions' request and response onto it.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

export async function apiHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const [{ handleApiRequest }, { apiDeps }] = await Promise.all([import('../src/api/index.js'), import('../src/runtime/api-deps.js')]);
  const url = new URL(request.url);
  const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => (headers[k] = v));
  const res = await handleApiRequest(
    { method: request.method, path: url.pathname.replace(/^\/api(?=\/|$)/, '') || '/', query: url.searchParams, headers, ...(text ? { body: text } : {}) },
    await apiDeps((m, e) => context.error(m, e instanceof Error ? e.message : String(e))),
  );
  return { status: res.status, headers: res.headers, body: res.body };
}

// Keys per route, as src/api's ROUTES declares them: health is anonymous (uptime probes), starting a
// scan needs the admin (master) key, and everything else, the dashboard and OpenAPI document
// included, a function key through the catch-all.
app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: apiHandler });
app.http('requestScan', { route: 'scans', methods: ['POST'], authLevel: 'admin', handler: apiHandler });
app.http('api', { route: '{*path}', methods: ['GET'], authLevel: 'function', handler: apiHandler });
