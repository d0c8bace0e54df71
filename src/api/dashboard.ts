/**
 * The dashboard: one HTML page with its CSS and script inline, no CDN, so it works offline and
 * behind a private endpoint. It holds no data; the script fetches /api/summary and /api/clusters and
 * passes on the function key (?code=) of the page's own URL. Data is put in the page with
 * textContent only, and a Content-Security-Policy pinned to the hashes of the inline CSS and script
 * keeps anything else from running.
 */
import { createHash } from 'node:crypto';
import type { ApiResponse } from './types.js';

const CSS = `
:root { --fg:#1b1f24; --muted:#5b6570; --line:#d8dde3; --bg:#f6f8fa; --card:#fff; --act:#c62828; --env:#ef6c00; --plat:#2e7d32; --eq:#00838f; --quirk:#6a1b9a; --obs:#757575; --unk:#9e9e9e; --ok:#2e7d32; --warn:#ef6c00; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color:var(--fg); background:var(--bg); }
header { padding:16px 24px; background:#0f2942; color:#fff; display:flex; flex-wrap:wrap; gap:8px 24px; align-items:baseline; }
header h1 { font-size:20px; margin:0; font-weight:600; }
header .meta { color:#c9d6e3; }
main { padding:16px 24px 40px; display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; min-width:0; }
section.wide { grid-column:1 / -1; }
h2 { font-size:15px; margin:0 0 10px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; }
.card { border:1px solid var(--line); border-radius:6px; padding:8px 12px; min-width:92px; }
.card .n { font-size:22px; font-weight:600; }
.card .l { color:var(--muted); font-size:12px; }
.n.bad { color:var(--bad); } .n.warn { color:var(--warn); } .n.ok { color:var(--ok); }
.stack { display:flex; height:22px; border-radius:4px; overflow:hidden; background:#eceff1; margin:8px 0; }
.stack span { display:block; height:100%; }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; font-size:13px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:baseline; }
.split { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
.split h3 { font-size:13px; margin:0 0 4px; color:var(--muted); font-weight:600; }
.split .big { font-size:26px; font-weight:650; }
.d-action { background:var(--act); } .d-environment { background:var(--env); } .d-platform { background:var(--plat); }
.d-equivalent-control { background:var(--eq); } .d-check-quirk { background:var(--quirk); } .d-obsolete { background:var(--obs); } .d-unknown { background:var(--unk); }
table { width:100%; border-collapse:collapse; font-size:13px; }
th, td { text-align:left; padding:5px 6px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.bar { position:relative; background:#eceff1; border-radius:3px; height:14px; min-width:120px; }
.bar span { position:absolute; left:0; top:0; bottom:0; background:#1565c0; border-radius:3px; }
.pill { display:inline-block; padding:0 7px; border-radius:9px; font-size:12px; color:#fff; }
.o-scanned { background:var(--ok); } .o-skipped { background:var(--obs); } .o-failed { background:var(--bad); }
.muted { color:var(--muted); }
.empty { color:var(--muted); font-style:italic; }
#error { display:none; grid-column:1 / -1; background:#fdecea; border-color:#f5c2c0; color:#8a1c1c; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var code = params.get('code');
  var path = location.pathname;
  var base = /\\/dashboard\\/?$/.test(path) ? path.replace(/dashboard\\/?$/, '') : '/api/';
  var LABEL = { action: 'Action', environment: 'Environment', platform: 'Managed by AKS', 'equivalent-control': 'Equivalent control', 'check-quirk': 'Check quirk', obsolete: 'Obsolete', unknown: 'Unknown', mixed: 'Differs by benchmark' };
  var YOURS = ['action', 'environment'];
  var NOT_YOURS = ['platform', 'equivalent-control', 'check-quirk', 'obsolete', 'unknown'];

  function url(route, query) {
    var q = new URLSearchParams(query || {});
    if (code) q.set('code', code);
    var s = q.toString();
    return base + route + (s ? '?' + s : '');
  }
  function get(route, query) {
    return fetch(url(route, query), { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (r) {
      return r.text().then(function (t) {
        var body = null;
        try { body = JSON.parse(t); } catch (e) { body = null; }
        if (!r.ok) throw new Error(route + ': HTTP ' + r.status + (body && body.error ? ' ' + body.error.message : ''));
        return body;
      });
    });
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function fill(id, nodes) { var e = $(id); e.textContent = ''; nodes.forEach(function (n) { e.appendChild(n); }); }
  function num(n) { return Number(n).toLocaleString('en-US'); }
  function pct(x) { return (Math.round(x * 1000) / 10).toFixed(1) + '%'; }
  // Ages are measured from the server's clock (generatedAt), not the viewer's.
  var serverNow = Date.now();
  function stamp(iso) { return new Date(iso).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC'); }
  function when(iso) {
    if (!iso) return 'never';
    var d = new Date(iso); var ago = (serverNow - d.getTime()) / 3600000;
    var rel = ago < 1 ? Math.max(0, Math.round(ago * 60)) + ' min ago' : ago < 48 ? Math.round(ago) + ' h ago' : Math.round(ago / 24) + ' days ago';
    return d.toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC') + ' (' + rel + ')';
  }
  function card(testid, n, label, tone) {
    return el('div', { cls: 'card', 'data-testid': testid }, [el('div', { cls: 'n' + (tone ? ' ' + tone : ''), text: num(n) }), el('div', { cls: 'l', text: label })]);
  }
  function table(head, rows, numeric) {
    return el('table', null, [
      el('thead', null, [el('tr', null, head.map(function (h, i) { return el('th', { cls: numeric && numeric[i] ? 'num' : '', text: h }); }))]),
      el('tbody', null, rows)
    ]);
  }
  function td(v, cls) { return el('td', { cls: cls || '', text: v == null ? '' : String(v) }); }
  function pill(outcome) { return el('span', { cls: 'pill o-' + outcome, text: outcome }); }
  function stack(values, keys) {
    var total = keys.reduce(function (n, k) { return n + (values[k] || 0); }, 0);
    var s = el('div', { cls: 'stack', role: 'img', 'aria-label': 'failing checks by disposition' });
    keys.forEach(function (k) {
      if (!values[k] || !total) return;
      var part = el('span', { cls: 'd-' + k, title: LABEL[k] + ': ' + values[k] });
      part.style.width = (100 * values[k] / total) + '%';
      s.appendChild(part);
    });
    return s;
  }
  function legend(values, keys) {
    return el('div', { cls: 'legend' }, keys.map(function (k) {
      return el('span', { 'data-testid': 'triage-' + k }, [el('i', { cls: 'd-' + k }), LABEL[k] + ' ', el('b', { text: num(values[k] || 0) })]);
    }));
  }

  function render(s, clusters) {
    serverNow = new Date(s.generatedAt).getTime();
    $('last-scan').textContent = 'Last scan: ' + when(s.lastScan);
    $('generated').textContent = 'Generated ' + stamp(s.generatedAt);
    fill('cluster-cards', [
      card('clusters-total', s.clusters.total, 'clusters'),
      card('clusters-scanned', s.clusters.scanned, 'scanned', 'ok'),
      card('clusters-skipped', s.clusters.skipped, 'skipped'),
      card('clusters-failed', s.clusters.failed, 'failed', s.clusters.failed ? 'bad' : ''),
      card('clusters-stale', s.clusters.stale, 'stale', s.clusters.stale ? 'warn' : '')
    ]);
    fill('check-cards', [
      card('checks-fail', s.checks.fail, 'FAIL', 'bad'),
      card('checks-warn', s.checks.warn, 'WARN', 'warn'),
      card('checks-pass', s.checks.pass, 'PASS', 'ok'),
      card('checks-info', s.checks.info, 'INFO')
    ]);
    var t = s.triage;
    fill('triage', [
      el('div', { cls: 'split' }, [
        el('div', null, [el('h3', { text: 'Yours to fix (action + environment)' }), el('div', { cls: 'big', 'data-testid': 'yours-total', text: num(t.yoursToFix.total) })]),
        el('div', null, [el('h3', { text: 'Not yours (AKS, equivalent control, check quirk, obsolete, unknown)' }), el('div', { cls: 'big', 'data-testid': 'notyours-total', text: num(t.notYours.total) })])
      ]),
      stack(t.byDisposition, YOURS.concat(NOT_YOURS)),
      legend(t.byDisposition, YOURS.concat(NOT_YOURS)),
      el('p', { cls: 'muted', text: 'Each distinct failing check counts once per cluster. Environment: depends on how you run the cluster, so you review it.' })
    ]);
    fill('top', s.topFailing.length ? [table(['Topic', 'Disposition', 'Clusters', 'Share'], s.topFailing.map(function (f) {
      var bar = el('div', { cls: 'bar', title: pct(f.share) }, [el('span')]);
      bar.firstChild.style.width = (100 * f.share) + '%';
      return el('tr', { 'data-topic': f.topic }, [
        el('td', null, [el('div', { text: f.title }), el('div', { cls: 'muted', text: f.topic })]),
        td(LABEL[f.disposition] || f.disposition || 'unknown'),
        td(num(f.clusters), 'num'),
        el('td', null, [bar, el('div', { cls: 'muted share', text: pct(f.share) })])
      ]);
    }), [false, false, true, false])] : [el('p', { cls: 'empty', text: 'No failing topics.' })]);

    var reasons = [];
    ['failed', 'skipped'].forEach(function (o) {
      Object.keys(s.reasons[o]).sort().forEach(function (r) { reasons.push(el('span', { cls: 'card', 'data-testid': 'reason-' + o + '-' + r }, [pill(o), ' ' + r + ' ', el('b', { text: num(s.reasons[o][r]) })])); });
    });
    fill('reasons', reasons.length ? [el('div', { cls: 'cards' }, reasons)] : [el('p', { cls: 'empty', text: 'Every cluster scanned.' })]);
    fill('clusters', clusters.items.length ? [table(['Cluster', 'Outcome', 'Reason', 'FAIL', 'Yours', 'Last attempt'], clusters.items.map(function (c) {
      return el('tr', { 'data-cluster': c.name }, [
        el('td', null, [el('div', { text: c.name }), el('div', { cls: 'muted', text: c.resourceGroup })]),
        el('td', null, [pill(c.outcome), c.stale ? el('span', { cls: 'muted', text: ' stale' }) : null]),
        el('td', null, [el('div', { text: c.reason || '' }), el('div', { cls: 'muted', text: c.detail || '' })]),
        td(c.results ? num(c.results.totals.fail) : '-', 'num'),
        td(c.results ? num(c.results.yoursToFix) : '-', 'num'),
        td(when(c.finishedAt))
      ]);
    }), [false, false, false, true, true, false]), clusters.total > clusters.items.length ? el('p', { cls: 'muted', text: 'Showing ' + clusters.items.length + ' of ' + clusters.total + ' clusters.' }) : null].filter(Boolean) : [el('p', { cls: 'empty', text: 'No clusters yet.' })]);

    fill('subscriptions', s.subscriptions.length ? [table(['Subscription', 'Clusters', 'Scanned', 'Skipped', 'Failed', 'Stale', 'FAIL', 'Yours', 'Last scan'], s.subscriptions.map(function (r) {
      return el('tr', { 'data-subscription': r.subscriptionId }, [td(r.subscriptionId), td(num(r.clusters), 'num'), td(num(r.scanned), 'num'), td(num(r.skipped), 'num'), td(num(r.failed), 'num'), td(num(r.stale), 'num'), td(num(r.checks.fail), 'num'), td(num(r.yoursToFix), 'num'), td(when(r.lastScan))]);
    }), [false, true, true, true, true, true, true, true, false])] : [el('p', { cls: 'empty', text: 'No subscriptions.' })]);

    fill('stale', s.staleClusters.length ? [table(['Cluster', 'Resource group', 'Last outcome', 'Last attempt', 'Last results'], s.staleClusters.map(function (c) {
      return el('tr', { 'data-stale': c.name }, [td(c.name), td(c.resourceGroup), el('td', null, [pill(c.outcome), c.reason ? el('span', { cls: 'muted', text: ' ' + c.reason }) : null]), td(when(c.lastAttempt)), td(when(c.lastResults))]);
    })), el('p', { cls: 'muted', text: 'Not scanned for over ' + Math.round(s.staleAfterMs / 3600000) + ' h (two schedule periods); skipped and failed attempts do not count.' })] : [el('p', { cls: 'empty', text: 'No stale clusters (every cluster scanned in the last ' + Math.round(s.staleAfterMs / 3600000) + ' h).' })]);
    document.body.setAttribute('data-state', 'ready');
  }

  function allClusters() {
    var items = [];
    function page(token, n) {
      return get('clusters', token ? { top: '100', page: token } : { top: '100' }).then(function (r) {
        items = items.concat(r.items);
        if (r.nextPage && n < 9) return page(r.nextPage, n + 1);
        return { items: items, total: r.total };
      });
    }
    return page(null, 0);
  }

  Promise.all([get('summary'), allClusters()]).then(function (r) { render(r[0], r[1]); }).catch(function (e) {
    var box = $('error'); box.style.display = 'block'; box.textContent = 'Could not load the fleet data: ' + e.message;
    document.body.setAttribute('data-state', 'error');
  });
})();
`;

const BODY = `
<header><h1>AKS fleet CIS scan</h1><span class="meta" id="last-scan">Loading…</span><span class="meta" id="generated"></span></header>
<main>
<section id="error" role="alert"></section>
<section><h2>Clusters by outcome</h2><div class="cards" id="cluster-cards"></div></section>
<section><h2>Check results (latest, all nodes)</h2><div class="cards" id="check-cards"></div></section>
<section class="wide"><h2>Triage of failing checks</h2><div id="triage"></div></section>
<section class="wide"><h2>Top failing topics</h2><div id="top"></div></section>
<section><h2>Why clusters were skipped or failed</h2><div id="reasons"></div></section>
<section><h2>Stale clusters</h2><div id="stale"></div></section>
<section class="wide"><h2>Clusters</h2><div id="clusters"></div></section>
<section class="wide"><h2>Subscriptions</h2><div id="subscriptions"></div></section>
</main>
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
      // The page URL can hold the function key: keep it out of Referer headers.
      'referrer-policy': 'no-referrer',
      'content-security-policy': CSP,
    },
    body: dashboardHtml(),
  };
}
