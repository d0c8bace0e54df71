/**
 * Serves functions/api.ts on localhost for `serve` and `demo`: node:http in, @azure/functions'
 * HttpRequest to the same handler, its response back out. No second implementation of a route.
 * Function keys are the Functions host's business; this binds to 127.0.0.1 only, and refuses
 * requests a web page could have sent it (local-guard.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import azf from '@azure/functions';
import { apiHandler, REGISTRATIONS } from '../../../functions/api.js';
import { refuseKey, servedBy, type FunctionKeys } from './function-keys.js';
import type { CliIo } from '../io.js';
import { errorMessage } from '../../model/errors.js';
import { refuseNonLocal } from './local-guard.js';

const { HttpRequest, InvocationContext } = azf;
const MAX_BODY = 1024 * 1024;

export interface LocalHttpServer {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Check function keys as the Functions host does (tests of the admin-only routes); without, every request passes. */
  keys?: FunctionKeys;
}

/** The key a request carries, as the host reads it. */
function keyOf(url: URL, headers: Record<string, string | string[] | undefined>): string | undefined {
  const h = headers['x-functions-key'];
  return url.searchParams.get('code') ?? (typeof h === 'string' ? h : undefined);
}

export async function serveHttp(port: number, io: Pick<CliIo, 'stderr'>, opts: ServeOptions = {}): Promise<LocalHttpServer> {
  const server = createServer((req, res) => {
    if (opts.keys) {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = url.pathname.replace(/^\/api(?=\/|$)/, '');
      const why = refuseKey(servedBy(REGISTRATIONS, (req.method ?? 'GET').toUpperCase(), path), keyOf(url, req.headers), opts.keys);
      if (why) {
        res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
        res.end(JSON.stringify({ error: { code: 'Unauthorized', message: why } }));
        req.resume();
        return;
      }
    }
    const refused = refuseNonLocal(
      { method: req.method ?? 'GET', headers: req.headers as Record<string, string | undefined> },
      (server.address() as AddressInfo).port,
    );
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(JSON.stringify({ error: { code: refused.status === 415 ? 'UnsupportedMediaType' : 'Forbidden', message: refused.message } }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        try {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
          const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url === '/' ? '/api/dashboard' : (req.url ?? '/')}`;
          const body = Buffer.concat(chunks);
          const request = new HttpRequest({
            method: req.method ?? 'GET',
            url,
            headers,
            ...(body.byteLength ? { body: { string: body.toString('utf8') } } : {}),
          });
          const ctx = new InvocationContext({
            invocationId: `serve-${Date.now()}`,
            functionName: 'api',
            logHandler: (_l, ...a) => io.stderr.write(`${a.map(String).join(' ')}\n`),
          });
          const out = await apiHandler(request, ctx);
          res.writeHead(out.status ?? 200, out.headers as Record<string, string>);
          res.end(typeof out.body === 'string' ? out.body : '');
        } catch (e) {
          io.stderr.write(`serve: ${errorMessage(e)}\n`);
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"InternalError","message":"internal error"}}');
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
