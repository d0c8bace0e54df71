// `npm run screenshots`: regenerates docs/screenshots/{fleet,cluster,topic,runs,waivers}.png, the
// README's pictures, from the dashboard served by the `serve` host over an in-memory Azurite
// holding the browser tests' fleet (without its script-payload cluster). Needs /usr/bin/chromium
// (.ci/browser.sh). Run through tsx: it imports the TypeScript sources.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startAzurite } from '../src/local/azurite.js';
import { createStore } from '../src/store/store.js';
import { seedBrowserFleet } from '../test/browser/fleet.js';
import { hasChromium, CHROMIUM, launchChromium, openView, startServeHost } from '../test/browser/harness.js';

const OUT = join(process.cwd(), 'docs', 'screenshots');
const CLUSTER = '#/cluster/aaaaaaaa-0000-4000-8000-000000000001/rg-prod/aks-prod-1';
const VIEWS = [
  ['fleet', '#/'],
  ['cluster', CLUSTER],
  ['topic', '#/topic/kubelet.read-only-port'],
  ['runs', '#/runs'],
  ['waivers', '#/waivers'],
];

if (!hasChromium) {
  console.error(`screenshots: ${CHROMIUM} is missing; run .ci/browser.sh first`);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });
const azurite = await startAzurite();
const target = { kind: 'connection-string', value: azurite.connectionString };
const store = createStore(target, { tablePrefix: 'shots' });
await store.ensureTables();
await seedBrowserFleet(store, { hostile: false });
const server = await startServeHost(store, target, azurite.connectionString);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  for (const [name, hash] of VIEWS) {
    await openView(page, server.url, hash);
    if (name === 'cluster') {
      // Show one knowledge-base panel open, as a reader would.
      await page.locator('#pools tr[data-status="FAIL"] details summary').first().click();
      await page.locator('#pools details[data-loaded="yes"]').first().waitFor();
    }
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    console.log(`screenshots: docs/screenshots/${name}.png`);
  }
} finally {
  await browser.close();
  await server.close();
  await azurite.stop();
}
