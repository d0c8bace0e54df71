/**
 * The dashboard behind function keys (the local host checking them as the Functions host does):
 * the page itself is anonymous, its data calls are refused without a key, and the key typed once
 * into the page is kept in the tab and sent as a header, never in a URL.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHttpServer } from '../../src/cli/host/http-host.js';
import { setSharedRuntime } from '../../src/runtime/runtime.js';
import { useAzurite } from '../support/azurite.js';
import { startLocalApi } from '../support/local-api.js';
import { hasChromium, launchChromium } from './harness.js';

const az = useAzurite();
const KEYS = { function: 'fk-typed-once-1', admin: 'ak-admin-1' };

describe.skipIf(!hasChromium)('dashboard with function keys', () => {
  let server: LocalHttpServer;
  let browser: Browser;
  let page: Page;
  const requests: { url: string; key: string | undefined }[] = [];

  beforeAll(async () => {
    ({ server } = await startLocalApi(az, { keys: KEYS }));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('request', (r) => requests.push({ url: r.url(), key: r.headers()['x-functions-key'] }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    setSharedRuntime(undefined);
  });

  it('asks for the key once, keeps it in the tab, and sends it only as a header', async () => {
    const page0 = await fetch(`${server.url}/api/dashboard`);
    expect(page0.status).toBe(200);
    expect((await fetch(`${server.url}/api/summary`)).status).toBe(401);

    await page.goto(`${server.url}/api/dashboard#/`);
    await page.waitForSelector('#key-form');
    expect(await page.textContent('label[for="function-key"]')).toContain('Function key');
    await page.fill('#function-key', KEYS.function);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('body[data-view="fleet"][data-state="ready"]');
    expect(await page.evaluate('Object.values(sessionStorage)')).toContain(KEYS.function);

    // Another view, then a reload: no second prompt.
    await page.evaluate(`location.hash = '#/runs'`);
    await page.waitForSelector('body[data-view="runs"][data-state="ready"]');
    await page.reload();
    await page.waitForSelector('body[data-view="runs"][data-state="ready"]');
    expect(await page.$('#key-form')).toBeNull();

    const data = requests.filter((r) => new URL(r.url).pathname.startsWith('/api/') && !r.url.includes('/api/dashboard'));
    expect(data.length).toBeGreaterThan(3);
    for (const r of data) expect(r.url).not.toContain(KEYS.function);
    // The calls after the key was typed carry it; the first ones, before, were refused.
    expect(data.filter((r) => r.key === KEYS.function).length).toBeGreaterThan(3);
    expect(data.some((r) => r.key === undefined)).toBe(true);
  });
});
