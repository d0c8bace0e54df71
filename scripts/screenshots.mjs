// `npm run screenshots`: regenerates docs/screenshots/{fleet,cluster,topic,runs,waivers}.png, the
// README's pictures, from what `aks-fleet-scanner demo --clusters 12 --seed 5 --scans 2` serves
// (the browser tests' host, without their script-payload cluster). Needs /usr/bin/chromium
// (.ci/browser.sh). Run through tsx: it imports the TypeScript sources.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDemoHost } from '../test/browser/demo-host.js';
import { hasChromium, CHROMIUM, launchChromium, openView } from '../test/browser/harness.js';

/* global fetch */
const OUT = join(process.cwd(), 'docs', 'screenshots');

if (!hasChromium) {
  console.error(`screenshots: ${CHROMIUM} is missing; run .ci/browser.sh first`);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });
const demo = await startDemoHost();
const api = async (path) => {
  const r = await fetch(`${demo.url}/api/${path}`);
  if (!r.ok) throw new Error(`screenshots: GET /api/${path} answered ${r.status}`);
  return r.json();
};
// The cluster with the most FAILs, and the topic most clusters fail: the views a reader opens first.
const matrix = await api('fleet/matrix');
const worst = matrix.rows.filter((r) => r.outcome === 'scanned').sort((a, b) => b.yoursToFix - a.yoursToFix || b.fail - a.fail)[0];
const top = (await api('summary')).topFailing[0];
const seg = (s) => encodeURIComponent(s);
const VIEWS = [
  ['fleet', '#/'],
  ['cluster', `#/cluster/${seg(worst.subscriptionId)}/${seg(worst.resourceGroup)}/${seg(worst.name)}`],
  ['topic', `#/topic/${seg(top.topic)}`],
  ['runs', '#/runs'],
  ['waivers', '#/waivers'],
];
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  for (const [name, hash] of VIEWS) {
    await openView(page, demo.url, hash);
    if (name === 'cluster') {
      // Show one knowledge-base panel open, as a reader would.
      await page.locator('#pools tr[data-status="FAIL"] details summary').first().click();
      await page.locator('#pools details[data-loaded="yes"]').first().waitFor();
    }
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    console.log(`screenshots: docs/screenshots/${name}.png (${hash})`);
  }
} finally {
  await browser.close();
  await demo.stop();
}
