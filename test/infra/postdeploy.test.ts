/**
 * scripts/postdeploy-check.mjs, run as azd's postdeploy hook runs it (node, SERVICE_SCANNER_URI in
 * the environment), against local HTTP servers that answer as a good, a shadowed, an open and a
 * cold-starting deployment would.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './bicep.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'postdeploy-check.mjs');
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function app(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function hook(env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { env: { PATH: process.env['PATH'], POSTDEPLOY_RETRY_MS: '20', POSTDEPLOY_WAIT_SECONDS: '5', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('the postdeploy hook', () => {
  it('passes a deployment whose health is anonymous and whose API refuses strangers, printing both, and notes features that are off', async () => {
    const url = await app((req, res) => {
      if (req.url === '/api/health')
        send(res, 200, {
          status: 'ok',
          version: '0.1.0',
          features: { alerts: 'off: TEAMS_WEBHOOK_URL is an unresolved Key Vault reference', alertDashboardLink: 'off: DASHBOARD_URL is not set' },
        });
      else send(res, 401, '');
    });
    const r = await hook({ SERVICE_SCANNER_URI: url });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok   GET ${url}/api/health → 200`);
    expect(r.stdout).toContain(`ok   GET ${url}/api/summary without credentials → 401 (refused)`);
    expect(r.stdout).toContain('note: alerts is off: TEAMS_WEBHOOK_URL is an unresolved Key Vault reference');
    expect(r.stdout).not.toContain('DASHBOARD_URL is not set');
  });

  it('fails when health needs a key (the catch-all shadowing it)', async () => {
    const url = await app((_req, res) => send(res, 401, ''));
    const r = await hook({ SERVICE_SCANNER_URI: `${url}/` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL GET ${url}/api/health → 401, expected 200`);
    expect(r.stdout).toContain('→ 401 (refused)');
  });

  it('fails when the API answers without credentials', async () => {
    const url = await app((req, res) => send(res, 200, req.url === '/api/health' ? { status: 'ok' } : { clusters: 3 }));
    const r = await hook({ SERVICE_SCANNER_URI: url });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL GET ${url}/api/summary without credentials → 200: the API answers anyone`);
  });

  it('waits for a cold instance, honouring Retry-After, then passes', async () => {
    let calls = 0;
    const url = await app((req, res) => {
      if (req.url === '/api/health' && ++calls <= 2) send(res, 503, '', { 'retry-after': '0' });
      else if (req.url === '/api/health') send(res, 200, { status: 'ok' });
      else send(res, 403, '');
    });
    const r = await hook({ SERVICE_SCANNER_URI: url });
    expect(r.code).toBe(0);
    expect(calls).toBe(3);
    expect(r.stdout).toContain('→ 403 (refused)');
  });

  it('fails with the reason when nothing answers before the deadline', async () => {
    const url = await app(() => undefined);
    server!.close();
    server = undefined;
    const r = await hook({ SERVICE_SCANNER_URI: url, POSTDEPLOY_WAIT_SECONDS: '0' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL GET .*\/api\/health → no answer after 1 attempt\(s\): .*ECONNREFUSED/);
  });

  it('refuses to run without a usable URL: none, or plain HTTP to another machine', async () => {
    const none = await hook({});
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('postdeploy-check: no app URL: set SERVICE_SCANNER_URI (azd sets it from the provision outputs) or pass --url');
    const plain = await hook({ SERVICE_SCANNER_URI: 'http://func-aksfs.example.test' });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('must be https');
  });
});
