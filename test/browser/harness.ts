/**
 * What the browser tests, the screenshot script and the render bench share: the `serve` host (the
 * Functions handler over node:http on loopback, src/cli/host/http-host.ts) over a given store, and
 * Debian's headless Chromium (.ci/browser.sh installs it) driven by playwright-core, which downloads
 * nothing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveHttp, type LocalHttpServer } from '../../src/cli/host/http-host.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { createRuntime, setSharedRuntime } from '../../src/runtime/runtime.js';
import type { Store } from '../../src/store/store.js';
import type { StorageTarget } from '../../src/store/target.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** The `serve` host over this store; one per process (the runtime is shared, as in `serve`). */
export async function startServeHost(store: Store, storage: StorageTarget, connectionString: string): Promise<LocalHttpServer> {
  setSharedRuntime(await createRuntime({ AzureWebJobsStorage: connectionString }, { credential: simulatorCredential(), store, storage }));
  const server = await serveHttp(0, { stderr: { write: () => true } });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      setSharedRuntime(undefined);
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/** Waits until the view at `hash` has rendered (body data-state ready or error). */
export async function openView(page: Page, base: string, hash: string, timeoutMs = 30_000): Promise<void> {
  const url = `${base}/api/dashboard${hash}`;
  const here = page.url();
  const onPage = here.startsWith(`${base}/api/dashboard`);
  if (onPage && (new URL(here).hash || '#/') === hash) {
    // The same hash fires no hashchange: load the page again.
    await page.reload();
  } else if (onPage) {
    // A string: this project's TypeScript has no DOM types. Loading first, so the old view's "ready" is not taken for the new one.
    await page.evaluate(`document.body.setAttribute('data-state', 'loading'); location.hash = ${JSON.stringify(hash)};`);
  } else await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: timeoutMs });
}

/** The views the screenshots show, with the hash that opens each. */
export const SCREENSHOT_VIEWS = ['fleet', 'cluster', 'topic', 'runs', 'waivers'] as const;
