/**
 * The dashboard: one HTML page with its CSS and script (src/dashboard/) inline, no CDN, so it works
 * offline and behind a private endpoint. It holds no data, so it can be anonymous and Teams links
 * open it; the script's data calls carry the App Service Authentication session or a function key
 * kept in sessionStorage (sent as x-functions-key, never in a URL). Data is put in the page with
 * textContent only, and a Content-Security-Policy pinned to the hashes of the inline CSS and script
 * keeps anything else from running.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiResponse } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
// Read once per process from beside this module (scripts/copy-assets.mjs copies them into dist/).
const CSS = readFileSync(join(here, '../dashboard/dashboard.css'), 'utf8');
const SCRIPT = readFileSync(join(here, '../dashboard/client.browser.mjs'), 'utf8');

const BODY = `
<a class="skip" href="#main">Skip to the content</a>
<header><span class="title"><b>AKS fleet CIS scan</b></span>
<nav aria-label="Views"><ul>
<li><a href="#/" data-view="fleet">Fleet</a></li>
<li><a href="#/runs" data-view="runs">Runs</a></li>
<li><a href="#/waivers" data-view="waivers">Waivers</a></li>
</ul></nav></header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<noscript>The dashboard needs JavaScript; the same data is at /api/summary and /api/clusters.</noscript>
`;

function sha256(s: string): string {
  return `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

/** The page; the same bytes on every call. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>AKS fleet CIS scan</title>
<style>${CSS}</style>
</head>
<body data-state="loading">${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
}

const CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(CSS)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function dashboardResponse(): ApiResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // An old link may still carry ?code=: keep it out of Referer headers (the script moves it to sessionStorage).
      'referrer-policy': 'no-referrer',
      'content-security-policy': CSP,
    },
    body: dashboardHtml(),
  };
}
