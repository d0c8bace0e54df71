/**
 * The dashboard in headless Chromium against `aks-fleet-scanner demo` (the simulated fleet scanned
 * through the real pipeline into Azurite, two rounds with drift, served by the `serve` host), with
 * a cluster carrying script payloads added to its tables: the page's numbers against the API's,
 * the click-through to the knowledge base's text, filters, payloads, requests, and axe-core.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftFleet } from '../../src/cli/demo-drift.js';
import type { Matrix, MatrixRow, Trend } from '../../src/dashboard/schemas.js';
import type { FleetSummary } from '../../src/report/summary.js';
import { defaultDemoFleet } from '../../src/simulator/index.js';
import { DEMO, startDemoHost, type DemoHost } from './demo-host.js';
import { addHostileCluster, HOSTILE_NAME } from './fleet.js';
import { CHROMIUM, hasChromium, launchChromium, openView } from './harness.js';

if (!hasChromium) console.warn(`dashboard browser tests skipped: ${CHROMIUM} is missing (run .ci/browser.sh)`);

const SHOTS = join(tmpdir(), 'aksfs-dashboard-screens');
const KEY = 'test-key-123';

interface Seen {
  url: string;
  key: string | undefined;
}

const clusterHash = (r: Pick<MatrixRow, 'subscriptionId' | 'resourceGroup' | 'name'>): string =>
  `#/cluster/${encodeURIComponent(r.subscriptionId)}/${encodeURIComponent(r.resourceGroup)}/${encodeURIComponent(r.name)}`;
const clusterPath = (r: Pick<MatrixRow, 'subscriptionId' | 'resourceGroup' | 'name'>): string =>
  `clusters/${encodeURIComponent(r.subscriptionId)}/${encodeURIComponent(r.resourceGroup)}/${encodeURIComponent(r.name)}`;

describe.skipIf(!hasChromium)('dashboard in headless Chromium against the demo', () => {
  let demo: DemoHost;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** A scanned demo cluster with FAILs: the one clicked through. */
  let target: MatrixRow;
  const seen: Seen[] = [];
  const errors: string[] = [];
  const refused: string[] = [];

  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${base}/api/${path}`);
    expect(r.status, path).toBe(200);
    return (await r.json()) as T;
  };
  const text = async (sel: string): Promise<string> => ((await page.textContent(sel)) ?? '').trim();
  const dataCalls = (): Seen[] => seen.filter((s) => new URL(s.url).pathname.startsWith('/api/') && !s.url.includes('/api/dashboard'));

  beforeAll(async () => {
    demo = await startDemoHost();
    base = demo.url;
    await addHostileCluster(demo.store);
    const m = await api<Matrix>('fleet/matrix');
    const pick = m.rows.filter((r) => r.outcome === 'scanned' && r.fail > 0 && r.name !== HOSTILE_NAME).sort((a, b) => b.fail - a.fail)[0];
    if (!pick) throw new Error('the demo fleet has no scanned cluster with a FAIL');
    target = pick;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 1000 }, acceptDownloads: true });
    context.on('request', (r) => seen.push({ url: r.url(), key: r.headers()['x-functions-key'] }));
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) refused.push(`${r.status()} ${new URL(r.url()).pathname.replace(/^\/api\/clusters\/.*\/diff$/, '/api/clusters/…/diff')}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('the page: anonymous, holds no data, loads nothing from elsewhere, and its CSP allows only its own inline script and style', async () => {
    const r = await fetch(`${base}/api/dashboard`);
    expect(r.status).toBe(200);
    const html = await r.text();
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? '';
    const hash = (x: string) => `'sha256-${createHash('sha256').update(x, 'utf8').digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    // No CDN: no element loads anything by URL.
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?\/\//i);
    // No data: not one cluster's name is in the page.
    const m = await api<Matrix>('fleet/matrix');
    for (const row of m.rows) expect(html).not.toContain(row.name);
  });

  it("keyboard: the heatmap's cluster links and sort buttons are reached with Tab and followed with Enter", async () => {
    await openView(page, base, '#/');
    const first = page.locator('#heatmap tbody tr[data-id] th a').first();
    const name = await first.textContent();
    // Tab from the skip link until the focus is on the first cluster link (labelled controls come first).
    await page.focus('a.skip');
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached =
        (await page.evaluate(
          'document.activeElement && document.activeElement.closest("#heatmap tbody tr[data-id]") ? document.activeElement.textContent : null',
        )) === name;
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-view="cluster"][data-state="ready"]');
    expect(await text('#main h1, #main h2')).toBeTruthy();
    expect(page.url()).toContain('#/cluster/');
  });

  it('fleet view: three data requests, the numbers of /summary, /fleet/matrix and /fleet/trend, and the key only in a header', async () => {
    // An old link with ?code=: the page keeps the key in sessionStorage and drops it from the address.
    const earlier = seen.length;
    await page.goto(`${base}/api/dashboard?code=${KEY}#/`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    expect(page.url()).not.toContain(KEY);
    const calls = dataCalls().filter((c) => seen.indexOf(c) >= earlier);
    expect(calls.map((c) => new URL(c.url).pathname).sort()).toEqual(['/api/fleet/matrix', '/api/fleet/trend', '/api/summary']);
    for (const c of calls) {
      expect(c.url).not.toContain(KEY);
      expect(c.key).toBe(KEY);
    }
    const s = await api<FleetSummary>('summary');
    expect(await text('[data-testid="clusters-total"] .n')).toBe(String(s.clusters.total));
    expect(await text('[data-testid="clusters-scanned"] .n')).toBe(String(s.clusters.scanned));
    expect(await text('[data-testid="clusters-failed"] .n')).toBe(String(s.clusters.failed));
    expect(await text('[data-testid="checks-fail"] .n')).toBe(String(s.checks.fail));
    expect(await text('[data-testid="yours-total"] .n')).toBe(String(s.triage.yoursToFix.total));
    for (const [reason, n] of Object.entries(s.reasons.failed)) expect(await text(`[data-testid="reason-failed-${reason}"]`)).toContain(String(n));
    expect(Object.keys(s.reasons.failed).length + Object.keys(s.reasons.skipped).length).toBeGreaterThan(0);

    const m = await api<Matrix>('fleet/matrix');
    const rows = await page.$$eval('#heatmap tbody tr[data-id]', (trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-id'), cells: [...tr.querySelectorAll('td[data-cell]')].map((td) => td.getAttribute('data-cell')) })),
    );
    expect(rows.length).toBe(m.total);
    for (const r of m.rows) expect(rows.find((x) => x.id === r.id)?.cells, r.name).toEqual(r.cells);
    // Each kind of cell carries its name as text, not only a colour.
    const labels = await page.$$eval('#heatmap td[data-cell] .sr', (xs) => [...new Set(xs.map((x) => x.textContent))]);
    expect(labels.length).toBeGreaterThan(2);
    expect(await page.$$eval('#heatmap thead th[data-topic]', (ths) => ths.map((t) => t.getAttribute('data-topic')))).toEqual(m.topics.map((t) => t.topic));

    const t = await api<Trend>('fleet/trend');
    expect(t.points).toHaveLength(DEMO.scans);
    const trend = await page.$$eval('#trend tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(trend.map((r) => r[3])).toEqual(t.points.map((p) => String(p.fail)).reverse());
    expect(trend.map((r) => r[4])).toEqual(t.points.map((p) => String(p.yoursToFix)).reverse());
    // The demo's drift between its rounds: the clusters it broke are worse, the one it fixed better.
    const drift = driftFleet(defaultDemoFleet({ clusters: DEMO.clusters, seed: DEMO.seed }));
    expect(t.changes.worse.map((c) => c.name)).toEqual(expect.arrayContaining(drift.newlyFailing));
    expect(t.changes.better.map((c) => c.name)).toEqual(expect.arrayContaining(drift.fixed));
    const listed = async (id: string) => page.$$eval(`#${id} li[data-cluster]`, (lis) => lis.map((li) => li.getAttribute('data-cluster')));
    expect(await listed('changes-worse')).toEqual(t.changes.worse.map((c) => c.name));
    expect(await listed('changes-better')).toEqual(t.changes.better.map((c) => c.name));
    await page.screenshot({ path: join(SHOTS, 'fleet.png'), fullPage: true });
  });

  it('sorting the heatmap by a topic puts the clusters failing it first, and the sort is kept in the URL', async () => {
    await openView(page, base, '#/');
    await page.click('#heatmap thead th[data-topic] button');
    await page.waitForFunction('location.hash.includes("sort=t0")');
    await page.waitForSelector('body[data-state="ready"]');
    const first = await page.$$eval('#heatmap tbody tr[data-id]', (trs) =>
      trs.map((tr) => tr.querySelector('td[data-cell]')?.getAttribute('data-cell') ?? null),
    );
    const rank = (c: string | null): number => (c === 'pass' || c === 'none' ? 0 : 1);
    // Both kinds are on the page, so the order below says something.
    expect(new Set(first.map(rank)).size).toBe(2);
    expect(first.map(rank)).toEqual([...first.map(rank)].sort((a, b) => b - a));
  });

  it('filters: the page shows what the API answers with the same filters, and the URL keeps them', async () => {
    const all = await api<FleetSummary>('summary');
    const m = await api<Matrix>('fleet/matrix');
    // A Kubernetes minor that some, not all, clusters run.
    const minors = [...new Set(m.rows.map((r) => r.kubernetesVersion.split('.').slice(0, 2).join('.')))].sort();
    const minor = minors.find((v) => m.rows.some((r) => !r.kubernetesVersion.startsWith(`${v}.`)));
    expect(minor).toBeDefined();
    await openView(page, base, '#/');
    await page.fill('#f-kubernetesVersion', minor ?? '');
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(`location.hash.includes("kubernetesVersion=${minor}")`);
    await page.waitForSelector('body[data-state="ready"]');
    const s = await api<FleetSummary>(`summary?kubernetesVersion=${minor}`);
    const fm = await api<Matrix>(`fleet/matrix?kubernetesVersion=${minor}`);
    expect(s.clusters.total).toBeGreaterThan(0);
    expect(s.clusters.total).toBeLessThan(all.clusters.total);
    expect(await text('[data-testid="clusters-total"] .n')).toBe(String(s.clusters.total));
    expect(await text('[data-testid="checks-fail"] .n')).toBe(String(s.checks.fail));
    expect(await text('[data-testid="yours-total"] .n')).toBe(String(s.triage.yoursToFix.total));
    expect((await page.$$eval('#heatmap tbody tr[data-id]', (trs) => trs.map((tr) => tr.getAttribute('data-id')))).sort()).toEqual(
      fm.rows.map((r) => r.id).sort(),
    );

    // A shared link opens the same filtered view.
    const shared = page.url();
    const q = `resourceGroup=${encodeURIComponent(target.resourceGroup)}&disposition=platform`;
    await openView(page, base, `#/?${q}`);
    const rg = await api<FleetSummary>(`summary?${q}`);
    expect(rg.clusters.total).toBeLessThan(all.clusters.total);
    expect(await text('[data-testid="clusters-total"] .n')).toBe(String(rg.clusters.total));
    expect(await text('[data-testid="checks-fail"] .n')).toBe(String(rg.checks.fail));
    expect(await page.inputValue('#f-resourceGroup')).toBe(target.resourceGroup);
    expect(await page.inputValue('#f-disposition')).toBe('platform');
    expect(shared).toContain(`kubernetesVersion=${minor}`);

    // Every filter of the form, each opened from a shared link: the page shows the API's numbers.
    const tagKey = Object.keys(target.tags)[0] ?? 'team';
    const each: [string, string][] = [
      ['subscription', target.subscriptionId],
      ['tag', `${tagKey}=${target.tags[tagKey] ?? ''}`],
      ['benchmark', 'aks-1.7'],
      ['disposition', 'action'],
    ];
    for (const [k, v] of each) {
      const qs = `${k}=${encodeURIComponent(v)}`;
      await openView(page, base, `#/?${qs}`);
      const want = await api<FleetSummary>(`summary?${qs}`);
      expect(want.clusters.total, qs).toBeLessThan(all.clusters.total);
      expect(await text('[data-testid="clusters-total"] .n'), qs).toBe(String(want.clusters.total));
      expect(await text('[data-testid="checks-fail"] .n'), qs).toBe(String(want.checks.fail));
      expect(await page.inputValue(`#f-${k}`), qs).toBe(v);
    }
  });

  it('click-through: fleet → cluster → check shows the knowledge base text; → node shows every check and downloads its JSON', async () => {
    await openView(page, base, '#/');
    await page.click(`#heatmap tbody tr[data-id="${target.id}"] th a`);
    await page.waitForSelector('body[data-view="cluster"][data-state="ready"]');
    expect(page.url()).toContain(clusterHash(target));
    const row = page.locator('#pools tr[data-status="FAIL"]:has(details)').first();
    const checkId = await row.locator('details').getAttribute('data-check');
    expect(checkId).not.toBeNull();
    await row.locator('details summary').click();
    await row.locator('details[data-loaded="yes"]').waitFor();
    const detail = await row.locator('details').textContent();
    const cluster = await api<{ results: { pools: { checks: { id: string; topic: string | null; status: string }[] }[] } }>(clusterPath(target));
    const failing = cluster.results.pools.flatMap((p) => p.checks).find((c) => c.status === 'FAIL' && c.id === checkId);
    expect(failing?.topic).toBeTruthy();
    const full = await api<{ entry: { why: string; whatToDo: string; verify: string; sources: (string | { title: string })[] } }>(`checks/${failing?.topic}`);
    expect(detail).toContain(full.entry.why);
    expect(detail).toContain(full.entry.whatToDo);
    expect(detail).toContain('How to verify');
    expect(full.entry.sources.length).toBeGreaterThan(0);
    for (const src of full.entry.sources) expect(detail).toContain(typeof src === 'string' ? src : src.title);
    const history = await api<{ items: { scanId: string }[] }>(`${clusterPath(target)}/history?top=50`);
    expect(await page.$$eval('#history tr[data-scan]', (trs) => trs.map((tr) => tr.getAttribute('data-scan')))).toEqual(history.items.map((h) => h.scanId));
    await page.screenshot({ path: join(SHOTS, 'cluster.png'), fullPage: true });

    const nodeName = await page.getAttribute('#pools li[data-node]', 'data-node');
    expect(nodeName).toBeTruthy();
    await page.click(`#pools li[data-node="${nodeName}"] a`);
    await page.waitForSelector('body[data-view="node"][data-state="ready"]');
    const node = await api<{ node: { checks: { id: string; status: string; triage: { why: string } | null }[] } }>(
      `${clusterPath(target)}/nodes/${encodeURIComponent(nodeName ?? '')}?top=200`,
    );
    expect(await page.locator('#node-checks tbody tr').count()).toBe(node.node.checks.length);
    const known = node.node.checks.find((c) => c.status === 'FAIL' && c.triage);
    expect(await text(`#node-checks tr[data-check="${known?.id}"]`)).toContain(known?.triage?.why ?? 'missing');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const saved = join(SHOTS, 'node.json');
    await download.saveAs(saved);
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual(node);
  });

  it("cluster view: what changed at the latest scan is the diff route's, and why a cluster failed or was skipped is its stored reason", async () => {
    const drift = driftFleet(defaultDemoFleet({ clusters: DEMO.clusters, seed: DEMO.seed }));
    const m = await api<Matrix>('fleet/matrix');
    const worse = m.rows.find((r) => r.name === drift.newlyFailing[0]);
    expect(worse).toBeDefined();
    await openView(page, base, clusterHash(worse as MatrixRow));
    const h = await api<{ items: { scanId: string; outcome: { kind: string } }[] }>(`${clusterPath(worse as MatrixRow)}/history?top=50`);
    const [to, from] = h.items.filter((x) => x.outcome.kind === 'scanned');
    const diff = await api<{ newFailures: { id: string }[]; fixed: { id: string }[] }>(
      `${clusterPath(worse as MatrixRow)}/diff?from=${from?.scanId}&to=${to?.scanId}`,
    );
    expect(diff.newFailures.length).toBeGreaterThan(0);
    expect(await page.locator('#diff-new li').count()).toBe(diff.newFailures.length);
    expect(await page.locator('#diff-fixed li').count()).toBe(diff.fixed.length);
    for (const item of diff.newFailures) expect(await text('#diff-new')).toContain(item.id);

    for (const row of m.rows.filter((r) => r.outcome !== 'scanned')) {
      await openView(page, base, clusterHash(row));
      const c = await api<{ scan: { outcome: { kind: string; reason: string; detail: string } } }>(clusterPath(row));
      const why = await text('#why-not-scanned');
      expect(why, row.name).toContain(c.scan.outcome.reason);
      expect(why, row.name).toContain(c.scan.outcome.detail);
    }
    expect(m.rows.filter((r) => r.outcome !== 'scanned').length).toBeGreaterThan(0);
  });

  it('topic, runs and waivers views show what the API answers', async () => {
    const top = (await api<FleetSummary>('summary')).topFailing[0];
    expect(top).toBeDefined();
    await openView(page, base, `#/topic/${top?.topic}`);
    const topic = await api<{ total: number; entry: { title: string } }>(`checks/${top?.topic}?top=100`);
    expect(topic.total).toBeGreaterThan(0);
    expect(await page.locator('#topic-clusters tbody tr').count()).toBe(topic.total);
    expect(await text('#topic-entry h2')).toBe(topic.entry.title);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    expect(csv.suggestedFilename()).toBe(`failing-${top?.topic}.csv`);
    const savedCsv = join(SHOTS, 'topic.csv');
    await csv.saveAs(savedCsv);
    const apiCsv = await (await fetch(`${base}/api/checks/${top?.topic}?format=csv`)).text();
    expect(readFileSync(savedCsv, 'utf8').split('\n').length).toBe(apiCsv.split('\n').length);
    // Each row names the pools failing the topic, as the API does.
    const withPools = await api<{ clusters: { id: string; name: string }[]; failingPools: Record<string, string[]> }>(`checks/${top?.topic}?top=100`);
    expect(withPools.clusters.length).toBe(topic.total);
    for (const c of withPools.clusters) {
      const failingIn = withPools.failingPools[c.id];
      expect(failingIn?.length, c.name).toBeGreaterThan(0);
      const cells = await page.$$eval(`#topic-clusters tr[data-cluster="${c.name}"] td`, (tds) => tds.map((td) => td.textContent ?? ''));
      expect(cells[4]).toBe((failingIn ?? []).join(', '));
    }
    await page.screenshot({ path: join(SHOTS, 'topic.png'), fullPage: true });

    await openView(page, base, '#/runs');
    const runs = await api<{ items: { runId: string; done: number; queued: number }[] }>('scans?top=50');
    expect(runs.items).toHaveLength(DEMO.scans);
    expect(await page.$$eval('#runs tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual(runs.items.map((r) => r.runId));
    for (const r of runs.items) expect(await page.getAttribute(`#runs tr[data-run="${r.runId}"] [role="progressbar"]`, 'aria-valuenow')).toBe(String(r.done));
    await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });

    await openView(page, base, '#/waivers');
    const body = await api<{ waivers: { id: string; owner: string; expires: string }[] }>('waivers');
    expect(body.waivers.length).toBeGreaterThan(0);
    expect(await page.locator('#waivers tbody tr').count()).toBe(body.waivers.length);
    // Owner and expiry on each row; those ending within 30 days (the demo's own waiver) marked in words, not only colour.
    const now = Date.now();
    const stateOf = (expires: string): string => {
      const end = Date.parse(`${expires}T00:00:00Z`) + 86_400_000;
      return end <= now ? 'expired' : end <= now + 30 * 86_400_000 ? 'expiring' : 'ok';
    };
    for (const w of body.waivers) {
      const row = `#waivers tr[data-waiver="${w.id}"]`;
      expect(await page.getAttribute(row, 'data-expiry'), w.id).toBe(stateOf(w.expires));
      expect(await text(row)).toContain(w.owner);
      expect(await text(row)).toContain(w.expires);
      if (stateOf(w.expires) !== 'ok') expect(await text(row)).toMatch(/expire/);
    }
    expect(body.waivers.filter((w) => stateOf(w.expires) !== 'ok').map((w) => w.id)).toContain('demo-event-qps');
    await page.screenshot({ path: join(SHOTS, 'waivers.png'), fullPage: true });
  });

  it('script payloads in tags, resource group, node and check text are shown as text and never run', async () => {
    await openView(page, base, '#/');
    expect(await text(`#heatmap tr[data-cluster="${HOSTILE_NAME}"]`)).toContain('<img src=x onerror=');
    const hostile = await api<Matrix>('fleet/matrix');
    const h = hostile.rows.find((r) => r.name === HOSTILE_NAME);
    expect(h).toBeDefined();
    // The resource group is not one ARM allows: the cluster route refuses it, and the page shows that as text.
    await openView(page, base, `#/cluster/${encodeURIComponent(h?.subscriptionId ?? '')}/${encodeURIComponent(h?.resourceGroup ?? '')}/${HOSTILE_NAME}`);
    expect(await text('#error')).toContain('<script>');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.$$eval('img, svg [onload], script:not([data-x])', (xs) => xs.filter((x) => x.tagName === 'IMG' || x.hasAttribute('onload')).length)).toBe(
      0,
    );
  });

  it('axe-core finds no serious or critical violation on any view', async () => {
    const node = await api<{ results: { pools: { nodes: { name: string }[] }[] } }>(clusterPath(target)).then((c) => c.results.pools[0]?.nodes[0]?.name);
    const views = [
      '#/',
      clusterHash(target),
      ...(node ? [`${clusterHash(target)}/node/${encodeURIComponent(node)}`] : []),
      `#/topic/${(await api<FleetSummary>('summary')).topFailing[0]?.topic}`,
      '#/runs',
      '#/waivers',
    ];
    expect(views).toHaveLength(6);
    for (const v of views) {
      await openView(page, base, v);
      // Open every knowledge-base panel so their contents are checked too.
      await page.$$eval('details', (ds) => ds.forEach((d) => d.setAttribute('open', '')));
      const result = await new AxeBuilder({ page }).analyze();
      const bad = result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical').map((x) => `${x.id}: ${x.help} (${x.nodes.length})`);
      expect(bad, v).toEqual([]);
    }
  }, 240_000);

  it('makes no request outside the demo host, and logs no error', () => {
    const foreign = seen.filter((s) => !s.url.startsWith(`${base}/`) && !s.url.startsWith('blob:') && !s.url.startsWith('data:'));
    expect(foreign.map((s) => s.url)).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
    // The only refusals: the hostile resource group (400), which the page reports as text.
    const expected = /^400 \/api\/clusters\/[^/]+\/rg-x.*\/aks-hostile-1(\/history)?$/;
    expect(refused.filter((r) => !expected.test(r))).toEqual([]);
    expect(errors.filter((e) => !/Failed to load resource: the server responded with a status of 400/.test(e))).toEqual([]);
  });
});
