// azd's postdeploy hook (azure.yaml): a deployment is not done until
//   - GET /api/health answers 200 without credentials (uptime probes need it), and
//   - GET /api/summary without credentials is refused (401 or 403: function key, Easy Auth).
// Prints both results; exits 1 when either does not hold, 2 when it cannot run.
//
// usage: node scripts/postdeploy-check.mjs [--url https://<app host>]   (default: SERVICE_SCANNER_URI from azd)
// Environment: POSTDEPLOY_WAIT_SECONDS (default 300): how long to wait for a cold Flex instance to
// answer; POSTDEPLOY_RETRY_MS (default 5000): the pause between attempts without a Retry-After.
/* global fetch, AbortSignal */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const ATTEMPT_TIMEOUT_MS = 30_000;

/** Parsed base URL, or a one-line reason it cannot be used. */
export function baseUrl(value) {
  if (!value) return { error: 'no app URL: set SERVICE_SCANNER_URI (azd sets it from the provision outputs) or pass --url' };
  let u;
  try {
    u = new URL(value);
  } catch {
    return { error: `the app URL "${value.slice(0, 200)}" is not a URL` };
  }
  // Plain HTTP only to this machine (tests); a deployed app is HTTPS only.
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) return { error: `the app URL must be https, not ${u.protocol}` };
  return { url: new URL(u.pathname.replace(/\/*$/, '/'), u) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Retry-After in ms (seconds or an HTTP date), capped; null without one. */
function retryAfterMs(res) {
  const h = res.headers.get('retry-after');
  if (!h) return null;
  const s = Number(h);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(h) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : null;
}

/**
 * GET without credentials until the answer is final: a 502/503/504 or a network error (a cold or
 * restarting instance) is retried until the deadline, honouring Retry-After.
 */
async function probe(url, deadline, retryMs) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
      const body = await res.text();
      if (![502, 503, 504].includes(res.status)) return { status: res.status, body, attempts: attempt };
      const wait = retryAfterMs(res) ?? retryMs;
      if (Date.now() + wait > deadline) return { status: res.status, body, attempts: attempt };
      await sleep(wait);
    } catch (e) {
      const reason = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      if (Date.now() + retryMs > deadline) return { error: reason, attempts: attempt };
      await sleep(retryMs);
    }
  }
}

function featuresOff(body) {
  try {
    const f = JSON.parse(body).features ?? {};
    return Object.entries(f).filter(([, v]) => typeof v === 'string' && v.startsWith('off: ') && !v.endsWith(' is not set'));
  } catch {
    return [];
  }
}

/** Runs both checks; returns the lines to print and whether both held. */
export async function postdeployCheck(base, { waitSeconds = 300, retryMs = 5000 } = {}) {
  const deadline = Date.now() + waitSeconds * 1000;
  const lines = [];
  let ok = true;

  const healthUrl = new URL('api/health', base);
  const health = await probe(healthUrl, deadline, retryMs);
  if (health.error) {
    ok = false;
    lines.push(`FAIL GET ${healthUrl} → no answer after ${health.attempts} attempt(s): ${health.error}`);
  } else if (health.status !== 200) {
    ok = false;
    lines.push(
      `FAIL GET ${healthUrl} → ${health.status}, expected 200 without credentials (is the catch-all shadowing health, or Easy Auth not excluding /api/health?)`,
    );
  } else {
    lines.push(`ok   GET ${healthUrl} → 200`);
    for (const [feature, state] of featuresOff(health.body)) lines.push(`     note: ${feature} is ${state}`);
  }

  const summaryUrl = new URL('api/summary', base);
  const summary = await probe(summaryUrl, deadline, retryMs);
  if (summary.error) {
    ok = false;
    lines.push(`FAIL GET ${summaryUrl} without credentials → no answer after ${summary.attempts} attempt(s): ${summary.error}`);
  } else if (summary.status === 401 || summary.status === 403) {
    lines.push(`ok   GET ${summaryUrl} without credentials → ${summary.status} (refused)`);
  } else if (summary.status >= 200 && summary.status < 300) {
    ok = false;
    lines.push(`FAIL GET ${summaryUrl} without credentials → ${summary.status}: the API answers anyone`);
  } else {
    ok = false;
    lines.push(`FAIL GET ${summaryUrl} without credentials → ${summary.status}, expected 401 or 403`);
  }
  return { ok, lines };
}

async function main(argv) {
  const i = argv.indexOf('--url');
  const base = baseUrl(i >= 0 ? argv[i + 1] : process.env.SERVICE_SCANNER_URI);
  if (base.error) {
    console.error(`postdeploy-check: ${base.error}`);
    return 2;
  }
  const num = (name, dflt) => {
    const v = Number(process.env[name] ?? dflt);
    return Number.isFinite(v) && v >= 0 ? v : dflt;
  };
  const { ok, lines } = await postdeployCheck(base.url, { waitSeconds: num('POSTDEPLOY_WAIT_SECONDS', 300), retryMs: num('POSTDEPLOY_RETRY_MS', 5000) });
  for (const l of lines) console.log(`postdeploy-check: ${l}`);
  return ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(`postdeploy-check: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 2;
    },
  );
}
