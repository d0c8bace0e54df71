/**
 * The dashboard in a real browser: handleApiRequest served over node:http on a loopback port, the
 * page opened in headless Chromium (Debian's, at /usr/bin/chromium; .ci/browser.sh installs it),
 * and the numbers the page shows compared with the seeded fleet.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleApiRequest, type ApiDeps } from '../../src/api/index.js';
import type { FleetSummary } from '../../src/report/summary.js';
import { useAzurite } from '../support/azurite.js';
import { checkTotals, clustersFailingTopic, isStale, withResults } from './expect.js';
import { call, depsFor, latestOf, seedFleet, type SeededCluster } from './fleet.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (run .ci/browser.sh to install Debian's chromium)`);

const az = useAzurite();

/** The whole adapter: about what the Functions entry point and `serve` do. */
function serve(deps: ApiDeps, seen: URL[]): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      seen.push(url);
      if (!url.pathname.startsWith('/api/')) {
        res.writeHead(404).end();
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      handleApiRequest(
        {
          method: req.method ?? 'GET',
          path: url.pathname.slice('/api'.length),
          query: url.searchParams,
          headers,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        },
        deps,
      ).then(
        (r) => res.writeHead(r.status, r.headers).end(r.body),
        () => res.writeHead(500).end(),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let fleet: SeededCluster[];
  let deps: ApiDeps;
  const seen: URL[] = [];

  beforeAll(async () => {
    const store = await az.store();
    fleet = await seedFleet(store);
    deps = depsFor(store);
    server = await serve(deps, seen);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('shows the seeded numbers and passes the function key on to its fetches', async () => {
    const port = (server.address() as AddressInfo).port;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`http://127.0.0.1:${port}/api/dashboard?code=test-key-123`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
    await page.screenshot({ path: '/tmp/aksfs-dashboard.png', fullPage: true });
    expect(errors).toEqual([]);

    const text = async (sel: string): Promise<string> => ((await page.textContent(sel)) ?? '').trim();
    const outcome = (k: string): number => fleet.filter((c) => latestOf(c).latest.scan.outcome.kind === k).length;
    expect(await text('[data-testid="clusters-total"] .n')).toBe(String(fleet.length));
    expect(await text('[data-testid="clusters-scanned"] .n')).toBe(String(outcome('scanned')));
    expect(await text('[data-testid="clusters-failed"] .n')).toBe(String(outcome('failed')));
    expect(await text('[data-testid="clusters-skipped"] .n')).toBe(String(outcome('skipped')));
    expect(await text('[data-testid="clusters-stale"] .n')).toBe(String(fleet.filter(isStale).length));
    expect(await text('[data-testid="checks-fail"] .n')).toBe(String(checkTotals(fleet).fail));

    const s = (await call(deps, '/summary')).json as FleetSummary;
    expect(await text('[data-testid="yours-total"]')).toBe(String(s.triage.yoursToFix.total));
    expect(await text('[data-testid="notyours-total"]')).toBe(String(s.triage.notYours.total));
    expect(await text('[data-testid="triage-environment"] b')).toBe(String(s.triage.byDisposition.environment));

    // The top topic row, its share as text and as the bar's width.
    const ro = 'kubelet.read-only-port';
    const share = clustersFailingTopic(fleet, ro).length / withResults(fleet).length;
    expect(await text('#top tbody tr:first-child')).toContain(ro);
    expect(await text(`#top tr[data-topic="${ro}"] .share`)).toBe(`${(Math.round(share * 1000) / 10).toFixed(1)}%`);
    const width = await page.$eval(`#top tr[data-topic="${ro}"] .bar span`, (e) => (e as unknown as { style: { width: string } }).style.width);
    expect(parseFloat(width)).toBeCloseTo(share * 100, 1);

    // Outcomes with their reasons, every cluster listed, subscriptions, stale clusters, last scan.
    expect(await text('[data-testid="reason-skipped-stopped"]')).toContain('1');
    expect(await text('[data-testid="reason-failed-timeout"]')).toContain('1');
    expect(await page.$$eval('#clusters tbody tr', (rows) => rows.map((r) => r.getAttribute('data-cluster')).sort())).toEqual(
      fleet.map((c) => c.ref.name).sort(),
    );
    expect(await text('#clusters tr[data-cluster="aks-b-1"]')).toContain('timeout');
    expect(await page.$$eval('#subscriptions tbody tr', (rows) => rows.map((r) => r.getAttribute('data-subscription')))).toEqual(
      s.subscriptions.map((x) => x.subscriptionId),
    );
    expect(await page.$$eval('#stale tbody tr', (rows) => rows.map((r) => r.getAttribute('data-stale')))).toEqual(fleet.filter(isStale).map((c) => c.ref.name));
    // aks-dev-1 is stale from its last results although its latest (skipped) attempt is recent: both times are shown.
    const dev = await text('#stale tr[data-stale="aks-dev-1"]');
    const devCluster = fleet.find((c) => c.ref.name === 'aks-dev-1');
    const devResults = devCluster ? (latestOf(devCluster).results?.scan.finishedAt ?? 'no results') : 'no cluster';
    expect(dev).toContain('stopped');
    expect(dev).toContain(`${devResults.slice(0, 19).replace('T', ' ')} UTC`);
    expect(await text('#stale thead')).toContain('Last results');
    expect(await text('#last-scan')).toContain(`${(s.lastScan ?? 'none').slice(0, 19).replace('T', ' ')} UTC`);

    const apiCalls = seen.filter((u) => u.pathname === '/api/summary' || u.pathname === '/api/clusters');
    expect(apiCalls.map((u) => u.pathname).sort()).toEqual(['/api/clusters', '/api/summary']);
    for (const u of apiCalls) expect(u.searchParams.get('code')).toBe('test-key-123');
    await page.close();
  });

  it('shows the error instead of numbers when the API refuses', async () => {
    const port = (server.address() as AddressInfo).port;
    const page = await browser.newPage();
    // A dashboard served elsewhere than /api/dashboard falls back to /api/; a route that 404s proves the error path.
    await page.route('**/api/summary*', (r) =>
      r.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: { code: 'Unauthorized', message: 'key missing' } }) }),
    );
    await page.goto(`http://127.0.0.1:${port}/api/dashboard`);
    await page.waitForSelector('body[data-state="error"]', { timeout: 15_000 });
    expect(await page.textContent('#error')).toContain('HTTP 401');
    await page.close();
  });
});
