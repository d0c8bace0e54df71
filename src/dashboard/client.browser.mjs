// The dashboard's script, inlined into the page and pinned by its hash in the CSP. Every value from
// the API reaches the page through textContent or an attribute, never as markup. Data calls carry
// the App Service Authentication session (same-origin cookies) or the function key the user typed,
// kept in sessionStorage and sent as x-functions-key, never in a URL.
(function () {
  'use strict';
  var KEY_STORE = 'aksfs.functionKey';
  var PAGE = 50;
  var TOPIC_PAGE = 100;
  var base = /\/dashboard\/?$/.test(location.pathname) ? location.pathname.replace(/dashboard\/?$/, '') : '/api/';
  var LABEL = {
    action: 'Action (yours to fix)',
    environment: 'Environment (yours to review)',
    platform: 'Managed by AKS',
    'equivalent-control': 'Equivalent control',
    'check-quirk': 'Check quirk',
    obsolete: 'Obsolete',
    unknown: 'Unknown to the knowledge base',
    waived: 'Waived',
    pass: 'Passes',
    none: 'No results',
  };
  // Colour is never the only signal: each cell kind has its own letter and its name as text.
  var GLYPH = {
    action: 'X',
    environment: 'E',
    platform: 'A',
    'equivalent-control': 'C',
    'check-quirk': 'Q',
    obsolete: 'O',
    unknown: '?',
    waived: 'W',
    pass: '·',
    none: '–',
  };
  var SEVERITY = { action: 9, environment: 8, unknown: 7, 'equivalent-control': 5, obsolete: 4, 'check-quirk': 3, platform: 2, waived: 1, pass: 0, none: -1 };
  var FILTERS = ['subscription', 'resourceGroup', 'tag', 'kubernetesVersion', 'benchmark', 'disposition'];
  var DISPOSITIONS = ['action', 'environment', 'platform', 'equivalent-control', 'check-quirk', 'obsolete', 'unknown'];
  var YOURS = ['action', 'environment'];

  // A legacy link with ?code= in the page URL: keep the key for this tab and take it out of the address bar.
  (function adoptCode() {
    var q = new URLSearchParams(location.search);
    var code = q.get('code');
    if (!code) return;
    try {
      sessionStorage.setItem(KEY_STORE, code);
    } catch {
      /* storage off: the session cookie may still work */
    }
    q.delete('code');
    var rest = q.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  })();

  function functionKey() {
    try {
      return sessionStorage.getItem(KEY_STORE);
    } catch {
      return null;
    }
  }

  function HttpError(status, message) {
    this.status = status;
    this.message = message;
  }
  HttpError.prototype = Object.create(Error.prototype);

  function apiUrl(route, query) {
    var q = new URLSearchParams();
    Object.keys(query || {}).forEach(function (k) {
      if (query[k] !== undefined && query[k] !== null && query[k] !== '') q.set(k, query[k]);
    });
    var s = q.toString();
    return base + route + (s ? '?' + s : '');
  }
  function headers(accept) {
    var h = { accept: accept || 'application/json' };
    var key = functionKey();
    if (key) h['x-functions-key'] = key;
    return h;
  }
  function get(route, query) {
    return fetch(apiUrl(route, query), { headers: headers(), credentials: 'same-origin' }).then(function (r) {
      return r.text().then(function (t) {
        var body;
        try {
          body = JSON.parse(t);
        } catch {
          body = null;
        }
        if (!r.ok) throw new HttpError(r.status, route + ': HTTP ' + r.status + (body && body.error ? ' ' + body.error.message : ''));
        return body;
      });
    });
  }
  /** A route another part of the app may not have yet (404): null instead of an error. */
  function optional(route, query) {
    return get(route, query).catch(function (e) {
      if (e.status === 404) return null;
      throw e;
    });
  }
  function download(route, query, filename, accept) {
    return fetch(apiUrl(route, query), { headers: headers(accept), credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new HttpError(r.status, route + ': HTTP ' + r.status);
        return r.blob();
      })
      .then(function (blob) {
        var a = el('a', { href: URL.createObjectURL(blob), download: filename });
        document.body.appendChild(a);
        a.click();
        setTimeout(function () {
          URL.revokeObjectURL(a.href);
          a.remove();
        }, 1000);
      });
  }

  // ---- DOM helpers -------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs)
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') e.textContent = String(v);
        else if (k === 'cls') e.className = v;
        else if (k === 'on')
          Object.keys(v).forEach(function (ev) {
            e.addEventListener(ev, v[ev]);
          });
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined && c !== false) e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, children) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, String(attrs[k]));
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(c);
    });
    return e;
  }
  function $(id) {
    return document.getElementById(id);
  }
  function num(n) {
    return Number(n || 0).toLocaleString('en-US');
  }
  function stamp(iso) {
    return iso
      ? new Date(iso)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, ' UTC')
      : 'never';
  }
  function td(v, cls) {
    return el('td', { cls: cls || null, text: v === null || v === undefined ? '' : String(v) });
  }
  function table(head, rows, numeric, cls) {
    return el('table', { cls: cls || 'full' }, [
      el('thead', null, [
        el(
          'tr',
          null,
          head.map(function (h, i) {
            return el('th', { scope: 'col', cls: numeric && numeric[i] ? 'num' : null, text: h });
          }),
        ),
      ]),
      el('tbody', null, rows),
    ]);
  }
  function section(title, id, children) {
    var h = el('h2', { id: id + '-h', text: title });
    return el('section', { id: id, 'aria-labelledby': id + '-h' }, [h].concat(children));
  }
  function card(testid, n, label) {
    return el('div', { cls: 'card', 'data-testid': testid }, [el('div', { cls: 'n', text: num(n) }), el('div', { cls: 'l', text: label })]);
  }
  function pill(outcome) {
    return el('span', { cls: 'pill o-' + outcome, text: outcome });
  }
  function enc(s) {
    return encodeURIComponent(s);
  }
  function clusterHash(c) {
    return '#/cluster/' + enc(c.subscriptionId) + '/' + enc(c.resourceGroup) + '/' + enc(c.name);
  }
  function clusterApi(c) {
    return 'clusters/' + enc(c.subscriptionId) + '/' + enc(c.resourceGroup) + '/' + enc(c.name);
  }
  function link(href, text, attrs) {
    var a = el('a', attrs || {});
    a.setAttribute('href', href);
    a.textContent = text;
    return a;
  }
  function cellKind(disposition) {
    return disposition && LABEL[disposition] ? disposition : 'unknown';
  }
  function empty(text) {
    return el('p', { cls: 'empty', text: text });
  }

  // ---- the shell ---------------------------------------------------------------------------------
  var main = $('main');
  function setView(name, title, nodes) {
    document.title = title + ' · AKS fleet CIS scan';
    main.textContent = '';
    main.appendChild(el('h1', { cls: 'sr', text: title }));
    nodes.forEach(function (n) {
      if (n) main.appendChild(n);
    });
    Array.prototype.forEach.call(document.querySelectorAll('header nav a'), function (a) {
      if (a.getAttribute('data-view') === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.body.setAttribute('data-view', name);
    document.body.setAttribute('data-state', 'ready');
    // The render bench (bench/figures/dashboard.ts) reads this against the data requests' timings.
    if (window.performance && performance.mark) performance.mark('aksfs-ready');
  }
  function showError(e) {
    main.textContent = '';
    if (e && (e.status === 401 || e.status === 403)) {
      main.appendChild(keyForm(e.message));
    } else {
      main.appendChild(el('div', { cls: 'error', role: 'alert', id: 'error', text: 'Could not load the data: ' + (e && e.message ? e.message : String(e)) }));
    }
    document.body.setAttribute('data-state', 'error');
  }
  function keyForm(message) {
    var input = el('input', { id: 'function-key', type: 'password', autocomplete: 'off', required: true });
    var form = el('form', { cls: 'filters', id: 'key-form' }, [
      el('label', { for: 'function-key' }, ['Function key', input]),
      el('button', { type: 'submit', cls: 'primary', text: 'Use this key' }),
    ]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      try {
        sessionStorage.setItem(KEY_STORE, input.value);
      } catch {
        /* ignore */
      }
      route();
    });
    return section('Sign in', 'signin', [
      el('p', { id: 'error', role: 'alert', cls: 'error', text: message }),
      el('p', {
        text: 'Sign in through the app (App Service Authentication), or paste a function key. The key stays in this browser tab (sessionStorage) and is sent as a header, never in a URL.',
      }),
      el('p', null, [
        link('/.auth/login/aad?post_login_redirect_uri=' + enc(location.pathname + location.hash), 'Sign in with your organisation account', { id: 'sign-in' }),
        ' (when the app has App Service Authentication on), or:',
      ]),
      form,
    ]);
  }

  // ---- router ------------------------------------------------------------------------------------
  function parseHash() {
    var h = location.hash.replace(/^#/, '') || '/';
    var qi = h.indexOf('?');
    var path = qi < 0 ? h : h.slice(0, qi);
    var query = new URLSearchParams(qi < 0 ? '' : h.slice(qi + 1));
    var parts = path
      .split('/')
      .filter(Boolean)
      .map(function (p) {
        try {
          return decodeURIComponent(p);
        } catch {
          return p;
        }
      });
    return { parts: parts, query: query };
  }
  var generation = 0;
  function route() {
    var r = parseHash();
    var p = r.parts;
    var mine = ++generation;
    var current = function () {
      return mine === generation;
    };
    document.body.setAttribute('data-state', 'loading');
    var job;
    if (p.length === 0) job = fleetView(r.query, current);
    else if (p[0] === 'cluster' && p.length === 4) job = clusterView({ subscriptionId: p[1], resourceGroup: p[2], name: p[3] }, current);
    else if (p[0] === 'cluster' && p.length === 6 && p[4] === 'node') job = nodeView({ subscriptionId: p[1], resourceGroup: p[2], name: p[3] }, p[5], current);
    else if (p[0] === 'topic' && p.length === 2) job = topicView(p[1], r.query, current);
    else if (p[0] === 'runs') job = runsView(current);
    else if (p[0] === 'waivers') job = waiversView(current);
    else
      job = Promise.resolve(
        setView('notfound', 'Not found', [
          section('Not found', 'notfound', [el('p', { text: 'No view at ' + location.hash + '.' }), link('#/', 'Back to the fleet')]),
        ]),
      );
    job.catch(function (e) {
      if (current()) showError(e);
    });
  }
  window.addEventListener('hashchange', route);

  // ---- fleet -------------------------------------------------------------------------------------
  function filtersOf(query) {
    var f = {};
    FILTERS.forEach(function (k) {
      var v = query.get(k);
      if (v) f[k] = v;
    });
    return f;
  }
  function fleetHash(f, extra) {
    var q = new URLSearchParams();
    FILTERS.forEach(function (k) {
      if (f[k]) q.set(k, f[k]);
    });
    Object.keys(extra || {}).forEach(function (k) {
      if (extra[k] !== undefined && extra[k] !== null && extra[k] !== '') q.set(k, extra[k]);
    });
    var s = q.toString();
    return '#/' + (s ? '?' + s : '');
  }
  function filterForm(f, query) {
    var fields = [
      ['subscription', 'Subscription id'],
      ['resourceGroup', 'Resource group'],
      ['tag', 'Tag (key or key=value)'],
      ['kubernetesVersion', 'Kubernetes version (1.31 or 1.31.2)'],
      ['benchmark', 'Benchmark (e.g. aks-1.8)'],
    ].map(function (x) {
      return el('label', { for: 'f-' + x[0] }, [x[1], el('input', { id: 'f-' + x[0], name: x[0], value: f[x[0]] || '', autocomplete: 'off' })]);
    });
    var sel = el(
      'select',
      { id: 'f-disposition', name: 'disposition' },
      [el('option', { value: '', text: 'any' })].concat(
        DISPOSITIONS.map(function (d) {
          return el('option', { value: d, text: LABEL[d], selected: f.disposition === d });
        }),
      ),
    );
    fields.push(el('label', { for: 'f-disposition' }, ['Failing a check of disposition', sel]));
    var form = el(
      'form',
      { cls: 'filters', id: 'filters', role: 'search', 'aria-label': 'Fleet filters' },
      fields.concat([
        el('button', { type: 'submit', cls: 'primary', text: 'Apply filters' }),
        el('button', {
          type: 'button',
          id: 'clear-filters',
          text: 'Clear',
          on: {
            click: function () {
              location.hash = '#/';
            },
          },
        }),
      ]),
    );
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var next = {};
      FILTERS.forEach(function (k) {
        var v = form.elements[k].value.trim();
        if (v) next[k] = v;
      });
      location.hash = fleetHash(next, { sort: query.get('sort') });
    });
    return form;
  }

  function trendChart(points) {
    if (points.length === 0) return empty('No scan runs yet.');
    var W = 600,
      H = 180,
      L = 48,
      B = 28,
      T = 10;
    var max = Math.max(
      1,
      Math.max.apply(
        null,
        points.map(function (p) {
          return Math.max(p.fail, p.yoursToFix);
        }),
      ),
    );
    var x = function (i) {
      return L + (points.length === 1 ? (W - L - 10) / 2 : (i * (W - L - 10)) / (points.length - 1));
    };
    var y = function (v) {
      return T + (H - T - B) * (1 - v / max);
    };
    var line = function (key) {
      return points
        .map(function (p, i) {
          return (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p[key]).toFixed(1);
        })
        .join(' ');
    };
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-labelledby': 'trend-title' }, [
      svg('title', {
        id: 'trend-title',
        text: 'FAIL (solid) and yours to fix (dashed) over the last ' + points.length + ' runs; the table below has the numbers.',
      }),
      svg('line', { x1: L, y1: H - B, x2: W - 5, y2: H - B, stroke: '#8a949e' }),
      svg('text', { x: L - 6, y: T + 8, 'text-anchor': 'end', 'font-size': 11, fill: '#505a64', text: num(max) }),
      svg('text', { x: L - 6, y: H - B, 'text-anchor': 'end', 'font-size': 11, fill: '#505a64', text: '0' }),
      svg('path', { d: line('fail'), fill: 'none', stroke: '#b3261e', 'stroke-width': 2 }),
      svg('path', { d: line('yoursToFix'), fill: 'none', stroke: '#0b57a3', 'stroke-width': 2, 'stroke-dasharray': '6 4' }),
    ]);
    points.forEach(function (p, i) {
      chart.appendChild(svg('circle', { cx: x(i), cy: y(p.fail), r: 3, fill: '#b3261e' }));
      chart.appendChild(svg('rect', { x: x(i) - 3, y: y(p.yoursToFix) - 3, width: 6, height: 6, fill: '#0b57a3' }));
    });
    var legend = el('ul', { cls: 'legend' }, [
      el('li', { text: '● solid red: FAIL results' }),
      el('li', { text: '■ dashed blue: yours to fix (distinct checks)' }),
    ]);
    var rows = points
      .slice()
      .reverse()
      .map(function (p) {
        return el('tr', { 'data-run': p.runId }, [
          td(stamp(p.startedAt)),
          td(p.trigger),
          td(num(p.scanned), 'num'),
          td(num(p.fail), 'num'),
          td(num(p.yoursToFix), 'num'),
        ]);
      });
    var t = table(['Run started', 'Trigger', 'Clusters scanned', 'FAIL', 'Yours to fix'], rows, [false, false, true, true, true]);
    return el('div', null, [chart, legend, el('details', null, [el('summary', { text: 'The numbers per run' }), t])]);
  }
  function changesBlock(changes) {
    var list = function (items, id, title) {
      return el('div', { id: id }, [
        el('h3', { text: title + ' (' + items.length + ')' }),
        items.length
          ? el(
              'ul',
              null,
              items.map(function (c) {
                return el('li', { 'data-cluster': c.name }, [
                  link(clusterHash(c), c.name),
                  ' ',
                  el('span', {
                    cls: 'muted',
                    text: c.resourceGroup + ': FAIL ' + c.failBefore + ' → ' + c.failAfter + ', yours ' + c.yoursBefore + ' → ' + c.yoursAfter,
                  }),
                ]);
              }),
            )
          : empty('None.'),
      ]);
    };
    return el('div', { cls: 'grid2' }, [
      list(changes.worse, 'changes-worse', 'New FAILs: more than at the previous scan'),
      list(changes.better, 'changes-better', 'Fixed: fewer than at the previous scan'),
      changes.truncated ? el('p', { cls: 'notice', text: 'Only part of the changes is listed.' }) : null,
    ]);
  }

  function sortRows(rows, sort) {
    var key = sort || 'yours';
    var by;
    if (key === 'name')
      by = function (a, b) {
        return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;
      };
    else if (key === 'fail')
      by = function (a, b) {
        return b.fail - a.fail;
      };
    else if (key === 'yours')
      by = function (a, b) {
        return b.yoursToFix - a.yoursToFix || b.fail - a.fail;
      };
    else if (/^t\d+$/.test(key)) {
      var i = Number(key.slice(1));
      by = function (a, b) {
        return (SEVERITY[b.cells[i]] || 0) - (SEVERITY[a.cells[i]] || 0) || b.yoursToFix - a.yoursToFix;
      };
    } else
      by = function () {
        return 0;
      };
    return rows.slice().sort(function (a, b) {
      return by(a, b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
  }
  function tagsText(tags) {
    var keys = Object.keys(tags || {});
    return keys.length
      ? el('div', {
          cls: 'muted tags',
          text: keys
            .map(function (k) {
              return k + '=' + tags[k];
            })
            .join(', '),
        })
      : null;
  }
  function heatLegend() {
    return el(
      'ul',
      { cls: 'legend', id: 'heat-legend', 'aria-label': 'Heatmap legend' },
      ['action', 'environment', 'platform', 'check-quirk', 'waived', 'equivalent-control', 'obsolete', 'unknown', 'pass', 'none'].map(function (k) {
        return el('li', null, [el('span', { cls: 'cell c-' + k, 'aria-hidden': 'true', text: GLYPH[k] }), LABEL[k]]);
      }),
    );
  }
  function heatmap(m, f, query) {
    var sort = query.get('sort') || 'yours';
    var rows = sortRows(m.rows, sort);
    var pageNo = Math.max(0, Number(query.get('page') || '0') || 0);
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (pageNo >= pages) pageNo = pages - 1;
    var shown = rows.slice(pageNo * PAGE, pageNo * PAGE + PAGE);
    var go = function (extra) {
      location.hash = fleetHash(f, { sort: extra.sort !== undefined ? extra.sort : sort, page: extra.page !== undefined ? extra.page : pageNo });
    };
    var sortButton = function (key, text, label) {
      return el(
        'button',
        {
          type: 'button',
          'data-sort': key,
          'aria-label': label || 'Sort by ' + text,
          on: {
            click: function () {
              go({ sort: key, page: 0 });
            },
          },
        },
        [text],
      );
    };
    var ariaSort = function (key) {
      return sort === key ? (key === 'name' ? 'ascending' : 'descending') : null;
    };
    var head = el(
      'tr',
      null,
      [
        el('th', { scope: 'col', 'aria-sort': ariaSort('name') }, [sortButton('name', 'Cluster')]),
        el('th', { scope: 'col', cls: 'num', 'aria-sort': ariaSort('fail') }, [sortButton('fail', 'FAIL')]),
        el('th', { scope: 'col', cls: 'num', 'aria-sort': ariaSort('yours') }, [sortButton('yours', 'Yours')]),
      ].concat(
        m.topics.map(function (t, i) {
          return el('th', { scope: 'col', cls: 'topic', 'aria-sort': ariaSort('t' + i), 'data-topic': t.topic, title: t.title }, [
            sortButton('t' + i, t.topic, 'Sort by topic ' + t.topic + ': ' + t.title),
          ]);
        }),
      ),
    );
    var cells = function (list) {
      return list.map(function (c, i) {
        var topic = m.topics[i] ? m.topics[i].topic : '';
        return el('td', { cls: 'cell c-' + c, 'data-cell': c, title: topic + ': ' + LABEL[c] }, [
          el('span', { 'aria-hidden': 'true', text: GLYPH[c] }),
          el('span', { cls: 'sr', text: LABEL[c] }),
        ]);
      });
    };
    // A pool-scoped waiver applies to one pool: that pool gets its own row of cells under the cluster.
    var poolRows = function (r) {
      return (r.pools || []).map(function (p) {
        return el(
          'tr',
          { cls: 'pool-row', 'data-pool': p.pool, 'data-pool-of': r.id },
          [el('th', { scope: 'row' }, [el('span', { cls: 'muted', text: 'pool ' }), p.pool]), td(''), td('')].concat(cells(p.cells)),
        );
      });
    };
    var body = [];
    shown.forEach(function (r) {
      body.push(clusterRow(r));
      poolRows(r).forEach(function (x) {
        body.push(x);
      });
    });
    function clusterRow(r) {
      return el(
        'tr',
        { 'data-cluster': r.name, 'data-id': r.id },
        [
          el('th', { scope: 'row' }, [
            link(clusterHash(r), r.name),
            el('div', {
              cls: 'muted',
              text:
                r.resourceGroup +
                ' · ' +
                (r.kubernetesVersion || '?') +
                (r.outcome !== 'scanned' ? ' · last attempt ' + r.outcome + (r.reason ? ' (' + r.reason + ')' : '') : '') +
                (r.stale ? ' · stale' : ''),
            }),
            tagsText(r.tags),
          ]),
          td(num(r.fail), 'num'),
          td(num(r.yoursToFix), 'num'),
        ].concat(cells(r.cells)),
      );
    }
    var pager = el('nav', { cls: 'pager', 'aria-label': 'Heatmap pages' }, [
      el('button', {
        type: 'button',
        id: 'page-prev',
        disabled: pageNo === 0,
        on: {
          click: function () {
            go({ page: pageNo - 1 });
          },
        },
        text: 'Previous',
      }),
      el('span', {
        id: 'page-status',
        'aria-live': 'polite',
        text: rows.length
          ? 'Clusters ' +
            (pageNo * PAGE + 1) +
            '–' +
            (pageNo * PAGE + shown.length) +
            ' of ' +
            num(rows.length) +
            ' (page ' +
            (pageNo + 1) +
            ' of ' +
            pages +
            ')'
          : 'No clusters match.',
      }),
      el('button', {
        type: 'button',
        id: 'page-next',
        disabled: pageNo + 1 >= pages,
        on: {
          click: function () {
            go({ page: pageNo + 1 });
          },
        },
        text: 'Next',
      }),
    ]);
    return el('div', null, [
      heatLegend(),
      el('table', { cls: 'heat', id: 'heatmap', 'aria-label': 'Clusters against the top failing topics' }, [
        el('thead', null, [head]),
        el('tbody', null, body),
      ]),
      pager,
    ]);
  }
  function fleetView(query, current) {
    var f = filtersOf(query);
    return Promise.all([get('summary', f), get('fleet/matrix', f), get('fleet/trend', f)]).then(function (r) {
      if (!current()) return;
      var s = r[0],
        m = r[1],
        t = r[2];
      var yoursTotal = s.triage.yoursToFix.total;
      var cards = el('div', { cls: 'cards', id: 'cluster-cards' }, [
        card('clusters-total', s.clusters.total, 'clusters'),
        card('clusters-scanned', s.clusters.scanned, 'scanned'),
        card('clusters-skipped', s.clusters.skipped, 'skipped'),
        card('clusters-failed', s.clusters.failed, 'failed'),
        card('clusters-stale', s.clusters.stale, 'stale'),
        card('checks-fail', s.checks.fail, 'FAIL results'),
        card('yours-total', yoursTotal, 'yours to fix'),
        card('notyours-total', s.triage.notYours.total, 'not yours'),
      ]);
      var top = s.topFailing.length
        ? table(
            ['Topic', 'Disposition', 'Clusters failing'],
            s.topFailing.map(function (x) {
              return el('tr', { 'data-topic': x.topic }, [
                el('td', null, [link('#/topic/' + enc(x.topic), x.title), el('div', { cls: 'muted', text: x.topic })]),
                td(LABEL[cellKind(x.disposition)]),
                td(num(x.clusters), 'num'),
              ]);
            }),
            [false, false, true],
          )
        : empty('No failing topics.');
      var reasons = [];
      ['failed', 'skipped'].forEach(function (o) {
        Object.keys(s.reasons[o])
          .sort()
          .forEach(function (k) {
            reasons.push(el('li', { 'data-testid': 'reason-' + o + '-' + k }, [pill(o), ' ' + k + ': ', el('b', { text: num(s.reasons[o][k]) })]));
          });
      });
      setView('fleet', 'Fleet', [
        section('Filters', 'filters-section', [filterForm(f, query)]),
        section('Fleet', 'overview', [
          el('p', { cls: 'muted', id: 'last-scan', text: 'Last scan: ' + stamp(s.lastScan) + ' · generated ' + stamp(s.generatedAt) }),
          cards,
        ]),
        section('Trend over the last runs', 'trend', [trendChart(t.points)]),
        section('What changed at each cluster\u2019s latest scan', 'changes', [changesBlock(t.changes)]),
        section('Heatmap: clusters × top failing topics', 'heat', [heatmap(m, f, query)]),
        el('div', { cls: 'grid2' }, [
          section('Top failing topics', 'top', [top]),
          section('Why clusters were skipped or failed', 'reasons', [reasons.length ? el('ul', null, reasons) : empty('Every cluster scanned.')]),
        ]),
      ]);
    });
  }

  // ---- cluster -----------------------------------------------------------------------------------
  var kbCache = {};
  function kbEntry(topic) {
    if (!kbCache[topic])
      kbCache[topic] = get('checks/' + enc(topic), { top: 1 }).then(function (r) {
        return r.entry;
      });
    return kbCache[topic];
  }
  function sourcesList(sources) {
    return el(
      'ul',
      null,
      (sources || []).map(function (s) {
        if (typeof s === 'string') return el('li', { text: s });
        var kids = [s.url ? link(s.url, s.title, { rel: 'noopener noreferrer' }) : el('span', { text: s.title })];
        if (s.edition) kids.push(el('span', { cls: 'muted', text: ' (' + s.edition + ')' }));
        return el('li', null, kids);
      }),
    );
  }
  function kbDetails(entry, extra) {
    var rows = [
      ['Disposition', LABEL[cellKind(extra.disposition || entry.disposition)]],
      ['Why it matters', entry.why],
      ['What to do', extra.whatToDo || entry.whatToDo],
      ['Mitigation', entry.mitigation],
      ['How to verify', entry.verify || '—'],
    ];
    var dl = el('dl', { cls: 'kb' });
    rows.forEach(function (r) {
      dl.appendChild(el('dt', { text: r[0] }));
      dl.appendChild(el('dd', { text: r[1] }));
    });
    dl.appendChild(el('dt', { text: 'Sources' }));
    dl.appendChild(el('dd', null, [sourcesList(entry.sources)]));
    return dl;
  }
  function matchingWaivers(waivers, cluster, pool, check) {
    if (!waivers) return [];
    var cid = cluster.id.toLowerCase();
    return waivers.filter(function (w) {
      var hit = (w.topic && w.topic === check.topic) || (w.checkId && w.checkId === check.id && (!w.benchmark || w.benchmark === check.benchmark));
      if (!hit) return false;
      var s = w.scope || { kind: 'all' };
      if (s.kind === 'all') return true;
      if (s.kind === 'subscription') return String(s.subscriptionId).toLowerCase() === cluster.subscriptionId.toLowerCase();
      if (s.kind === 'cluster') return String(s.clusterId).toLowerCase() === cid;
      if (s.kind === 'pool') return String(s.clusterId).toLowerCase() === cid && s.pool === pool;
      return false;
    });
  }
  function waiverText(w) {
    return 'Waived by ' + w.owner + ' until ' + w.expires + ': ' + w.reason + ' (' + w.id + ', ' + w.source + ')';
  }
  function checkRow(c, ref, pool, waivers, cluster) {
    var waived = matchingWaivers(waivers, cluster, pool.pool, c);
    var kind = c.status === 'FAIL' || c.status === 'WARN' ? cellKind(c.disposition) : null;
    var detail = el('details', { 'data-check': c.id }, [
      el('summary', null, [c.topic ? 'Knowledge base: ' + (c.topicTitle || c.topic) : 'Not in the knowledge base']),
    ]);
    if (c.topic) {
      detail.addEventListener('toggle', function () {
        if (!detail.open || detail.getAttribute('data-loaded')) return;
        detail.setAttribute('data-loaded', 'loading');
        kbEntry(c.topic)
          .then(function (entry) {
            if (entry) detail.appendChild(kbDetails(entry, c));
            detail.appendChild(link('#/topic/' + enc(c.topic), 'Every cluster failing ' + c.topic));
            detail.setAttribute('data-loaded', 'yes');
          })
          .catch(function (e) {
            detail.appendChild(el('p', { cls: 'error', text: e.message }));
          });
      });
    } else if (c.whatToDo) detail.appendChild(el('p', { text: c.whatToDo }));
    return el('tr', { 'data-check': c.id, 'data-status': c.status }, [
      td(c.id),
      el('td', null, [el('div', { text: c.title }), detail]),
      el('td', { cls: 's-' + c.status, text: c.status }),
      td(kind ? LABEL[kind] : ''),
      td(c.failingNodes.join(', ')),
      el(
        'td',
        null,
        waived.length
          ? waived.map(function (w) {
              return el('div', { text: waiverText(w) });
            })
          : [c.whatToDo ? el('div', { cls: 'muted', text: c.whatToDo }) : ''],
      ),
    ]);
  }
  function historyBlock(h) {
    if (!h) return empty('No history.');
    var rows = h.items.map(function (s) {
      var yours = YOURS.reduce(function (n, k) {
        return n + (s.triage[k] || 0);
      }, 0);
      return el('tr', { 'data-scan': s.scanId }, [
        td(stamp(s.startedAt)),
        el('td', null, [pill(s.outcome.kind), s.outcome.reason ? ' ' + s.outcome.reason : '']),
        td(s.outcome.detail || ''),
        td(num(s.totals.fail), 'num'),
        td(num(yours), 'num'),
        td(num(s.nodes), 'num'),
      ]);
    });
    var scanned = h.items
      .filter(function (s) {
        return s.outcome.kind === 'scanned';
      })
      .slice(0, 30)
      .reverse();
    return el('div', null, [
      trendChart(
        scanned.map(function (s) {
          return {
            runId: s.runId,
            trigger: '',
            startedAt: s.startedAt,
            scanned: 1,
            fail: s.totals.fail,
            yoursToFix: YOURS.reduce(function (n, k) {
              return n + (s.triage[k] || 0);
            }, 0),
          };
        }),
      ),
      table(['Started', 'Outcome', 'Why', 'FAIL', 'Yours', 'Nodes'], rows, [false, false, false, true, true, true]),
    ]);
  }
  function diffBlock(c, h) {
    var scanned = h
      ? h.items.filter(function (s) {
          return s.outcome.kind === 'scanned';
        })
      : [];
    if (scanned.length < 2) return Promise.resolve(empty('One scan with results so far: nothing to compare.'));
    return optional(clusterApi(c) + '/diff', { from: scanned[1].scanId, to: scanned[0].scanId }).then(function (d) {
      if (!d)
        return el('p', {
          cls: 'notice',
          id: 'diff-missing',
          text: 'The diff route (/api/clusters/…/diff) is not available on this server yet; compare the FAIL counts in the history below.',
        });
      var items = function (list, id, title) {
        return el('div', { id: id }, [
          el('h3', { text: title + ' (' + list.length + ')' }),
          list.length
            ? el(
                'ul',
                null,
                list.map(function (i) {
                  return el('li', { text: (i.pool ? i.pool + ': ' : '') + i.id + ' ' + (i.title || '') });
                }),
              )
            : empty('None.'),
        ]);
      };
      return el('div', { cls: 'grid2' }, [items(d.newFailures || [], 'diff-new', 'New FAILs'), items(d.fixed || [], 'diff-fixed', 'Fixed')]);
    });
  }
  function clusterView(c, current) {
    return Promise.all([get(clusterApi(c)), optional(clusterApi(c) + '/history', { top: 50 }), optional('waivers')]).then(function (r) {
      var d = r[0],
        h = r[1],
        w = r[2];
      return diffBlock(c, h).then(function (diff) {
        if (!current()) return;
        var scan = d.scan;
        var head = [
          el('p', null, [
            el('b', { text: d.cluster.name }),
            ' in ',
            el('span', { text: d.cluster.resourceGroup }),
            ' · subscription ',
            el('span', { text: d.cluster.subscriptionId }),
            ' · Kubernetes ',
            el('span', { text: d.cluster.kubernetesVersion }),
            ' · ',
            el('span', { text: d.cluster.location }),
          ]),
          el('p', { id: 'latest-outcome' }, ['Latest attempt ', stamp(scan.startedAt), ': ', pill(scan.outcome.kind)]),
        ];
        if (scan.outcome.kind !== 'scanned')
          head.push(
            el('p', { cls: 'notice', id: 'why-not-scanned', text: 'Why ' + scan.outcome.kind + ': ' + scan.outcome.reason + ' — ' + scan.outcome.detail }),
          );
        if (!w) head.push(el('p', { cls: 'muted', id: 'waivers-missing', text: 'Waivers are not listed: this server has no /api/waivers route yet.' }));
        var pools = [];
        if (!d.results) pools.push(empty('No results: this cluster was never scanned.'));
        else {
          if (d.results.scanId !== scan.scanId)
            pools.push(el('p', { cls: 'notice', text: 'Results below are from the latest scan that scanned (' + stamp(d.results.finishedAt) + ').' }));
          d.results.nodeFailures.forEach(function (nf) {
            pools.push(el('p', { cls: 'error', text: 'Node ' + nf.node + ' (' + (nf.pool || 'no pool') + '): ' + nf.status + ' — ' + nf.detail }));
          });
          d.results.pools.forEach(function (p) {
            var failing = p.checks.filter(function (k) {
              return k.status === 'FAIL' || k.status === 'WARN';
            });
            var rest = p.checks.length - failing.length;
            var pid = 'pool-' + (p.pool || 'none');
            pools.push(
              el('section', { 'data-pool': p.pool || '', 'aria-labelledby': pid + '-h' }, [
                el('h3', {
                  id: pid + '-h',
                  text: 'Node pool ' + (p.pool || '(no pool)') + ': ' + p.nodes.length + ' nodes, ' + p.totals.fail + ' FAIL results',
                }),
                el(
                  'ul',
                  null,
                  p.nodes.map(function (n) {
                    return el('li', { 'data-node': n.name }, [
                      link(clusterHash(c) + '/node/' + enc(n.name), n.name),
                      el('span', { cls: 'muted', text: ' FAIL ' + n.totals.fail + ', WARN ' + n.totals.warn + ', PASS ' + n.totals.pass }),
                    ]);
                  }),
                ),
                failing.length
                  ? table(
                      ['Check', 'Title and knowledge base', 'Status', 'Disposition', 'Failing nodes', 'Waiver or what to do'],
                      failing.map(function (k) {
                        return checkRow(k, null, p, w ? w.waivers : null, d.cluster);
                      }),
                    )
                  : empty('No FAIL or WARN in this pool.'),
                rest
                  ? el('details', null, [
                      el('summary', { text: rest + ' passing or informational checks' }),
                      table(
                        ['Check', 'Title', 'Status'],
                        p.checks
                          .filter(function (k) {
                            return k.status !== 'FAIL' && k.status !== 'WARN';
                          })
                          .map(function (k) {
                            return el('tr', { 'data-check': k.id }, [td(k.id), td(k.title), td(k.status, 's-' + k.status)]);
                          }),
                      ),
                    ])
                  : null,
              ]),
            );
          });
        }
        setView('cluster', 'Cluster ' + d.cluster.name, [
          el('nav', { 'aria-label': 'Breadcrumb' }, [link('#/', 'Fleet'), ' › ', el('span', { text: d.cluster.name })]),
          section('Cluster ' + d.cluster.name, 'cluster-head', head),
          section('Changes at the latest scan', 'cluster-diff', [diff]),
          section('Node pools, nodes and checks', 'pools', pools),
          section('History', 'history', [historyBlock(h)]),
        ]);
      });
    });
  }

  // ---- node --------------------------------------------------------------------------------------
  function nodeView(c, node, current) {
    var route = clusterApi(c) + '/nodes/' + enc(node);
    return get(route, { top: 200 }).then(function (r) {
      if (!current()) return;
      var rows = r.node.checks.map(function (k) {
        var t = k.triage;
        var detail = t
          ? el('details', { 'data-check': k.id }, [
              el('summary', { text: LABEL[cellKind(t.disposition)] + ': ' + t.title }),
              kbDetails(
                {
                  why: t.why,
                  whatToDo: t.whatToDo,
                  mitigation: t.mitigation,
                  verify: t.verify,
                  sources: t.sources.map(function (s) {
                    return { title: s };
                  }),
                  disposition: t.disposition,
                },
                {},
              ),
            ])
          : el('span', { cls: 'muted', text: 'Not in the knowledge base' });
        return el('tr', { 'data-check': k.id, 'data-status': k.status }, [
          td(k.id),
          el('td', null, [el('div', { text: k.title }), detail]),
          td(k.status, 's-' + k.status),
          td(k.expected || ''),
          td(k.actual || ''),
        ]);
      });
      var btn = el('button', { type: 'button', id: 'download-json', text: 'Download this node\u2019s result (JSON)' });
      btn.addEventListener('click', function () {
        download(route, { top: 200 }, c.name + '-' + node + '.json').catch(showError);
      });
      setView('node', 'Node ' + r.node.name, [
        el('nav', { 'aria-label': 'Breadcrumb' }, [link('#/', 'Fleet'), ' › ', link(clusterHash(c), c.name), ' › ', el('span', { text: r.node.name })]),
        section('Node ' + r.node.name, 'node-head', [
          el('p', {
            text:
              'Pool ' +
              (r.node.pool || '(none)') +
              ' · benchmark ' +
              (r.node.benchmark || '?') +
              ' · scan ' +
              r.scanId +
              ' · FAIL ' +
              r.node.totals.fail +
              ', WARN ' +
              r.node.totals.warn +
              ', PASS ' +
              r.node.totals.pass,
          }),
          r.page.nextSkip !== null ? el('p', { cls: 'notice', text: 'Showing the first ' + r.node.checks.length + ' of ' + r.page.total + ' checks.' }) : null,
          btn,
        ]),
        section('Every check', 'node-checks', [table(['Check', 'Title and knowledge base', 'Status', 'Expected', 'Actual'], rows)]),
      ]);
    });
  }

  // ---- topic -------------------------------------------------------------------------------------
  // One page of the API at a time (a topic may fail on every cluster of 2,000): its continuation token
  // and offset live in the URL, so Next is a link and the browser's Back button returns to the page before.
  function topicView(topic, query, current) {
    var token = query.get('page');
    var from = Math.max(0, Number(query.get('from') || '0') || 0);
    var page = function () {
      return get('checks/' + enc(topic), token ? { top: TOPIC_PAGE, page: token } : { top: TOPIC_PAGE });
    };
    return page().then(function (r) {
      if (!current()) return;
      var all = r.clusters;
      var e = r.entry;
      var btn = el('button', { type: 'button', id: 'download-csv', text: 'Export failing clusters (CSV)' });
      btn.addEventListener('click', function () {
        download('checks/' + enc(topic), { format: 'csv' }, 'failing-' + topic + '.csv', 'text/csv').catch(showError);
      });
      var rows = all.map(function (c) {
        // The pools failing the topic when the API names them; a cluster's other pools pass it.
        var failingIn = r.failingPools && r.failingPools[c.id];
        var pools = failingIn ? failingIn.join(', ') : c.results ? c.results.pools.join(', ') : '';
        return el('tr', { 'data-cluster': c.name }, [
          el('td', null, [link(clusterHash(c), c.name)]),
          td(c.resourceGroup),
          td(c.subscriptionId),
          td(c.kubernetesVersion),
          td(pools),
          td(num(c.results ? c.results.yoursToFix : 0), 'num'),
        ]);
      });
      setView('topic', 'Topic ' + topic, [
        el('nav', { 'aria-label': 'Breadcrumb' }, [link('#/', 'Fleet'), ' › ', el('span', { text: topic })]),
        section(
          e ? e.title : topic,
          'topic-entry',
          e ? [el('p', { cls: 'muted', text: topic }), kbDetails(e, { disposition: r.disposition })] : [empty('Not in the knowledge base.')],
        ),
        section('Clusters failing it (' + r.total + ')', 'topic-clusters', [
          btn,
          el('p', { cls: 'muted', text: 'Failing pools: the node pools where a check of this topic fails; the cluster\u2019s other pools pass it.' }),
          rows.length
            ? table(['Cluster', 'Resource group', 'Subscription', 'Kubernetes', 'Failing pools', 'Yours to fix'], rows, [
                false,
                false,
                false,
                false,
                false,
                true,
              ])
            : empty('No cluster fails it.'),
          el('nav', { cls: 'pager', 'aria-label': 'Failing clusters pages' }, [
            from > 0 ? link('#/topic/' + enc(topic), 'First page', { id: 'topic-first' }) : null,
            el('span', {
              id: 'topic-page-status',
              'aria-live': 'polite',
              text: r.total ? 'Clusters ' + (from + 1) + '–' + (from + all.length) + ' of ' + num(r.total) : '',
            }),
            r.nextPage
              ? link('#/topic/' + enc(topic) + '?page=' + enc(r.nextPage) + '&from=' + (from + all.length), 'Next', {
                  id: 'topic-next',
                })
              : null,
          ]),
        ]),
      ]);
    });
  }

  // ---- runs --------------------------------------------------------------------------------------
  function runsView(current) {
    return get('scans', { top: 50 }).then(function (r) {
      if (!current()) return;
      var rows = r.items.map(function (x) {
        var pct = x.queued ? Math.min(100, Math.round((100 * x.done) / x.queued)) : 100;
        var bar = el(
          'span',
          {
            cls: 'progress',
            role: 'progressbar',
            'aria-valuemin': 0,
            'aria-valuemax': x.queued,
            'aria-valuenow': x.done,
            'aria-label': 'Run ' + x.runId + ' progress',
          },
          [el('span')],
        );
        bar.firstChild.style.width = pct + '%';
        return el('tr', { 'data-run': x.runId }, [
          td(x.runId),
          td(x.trigger),
          td(stamp(x.startedAt)),
          el('td', null, [bar, ' ' + x.done + ' / ' + x.queued + (x.complete ? ' · complete' : ' · running')]),
          td(num(x.scanned), 'num'),
          td(num(x.skipped), 'num'),
          td(num(x.failed), 'num'),
          td(num(x.pending), 'num'),
          td(x.lastReportAt ? stamp(x.lastReportAt) : '—'),
        ]);
      });
      setView('runs', 'Scan runs', [
        section('Scan runs', 'runs', [
          rows.length
            ? table(['Run', 'Trigger', 'Started', 'Progress', 'Scanned', 'Skipped', 'Failed', 'Pending', 'Last report'], rows, [
                false,
                false,
                false,
                false,
                true,
                true,
                true,
                true,
                false,
              ])
            : empty('No scan runs yet.'),
        ]),
      ]);
    });
  }

  // ---- waivers -----------------------------------------------------------------------------------
  function waiversView(current) {
    return optional('waivers').then(function (r) {
      if (!current()) return;
      if (!r) {
        setView('waivers', 'Waivers', [
          section('Waivers', 'waivers', [
            el('p', {
              cls: 'notice',
              id: 'waivers-missing',
              text: 'This server has no /api/waivers route yet (it comes with the waivers API); waivers are in WAIVERS_FILE and the knowledge base defaults meanwhile.',
            }),
          ]),
        ]);
        return;
      }
      var now = Date.now();
      var soon = now + 30 * 24 * 3600 * 1000;
      var rows = r.waivers
        .slice()
        .sort(function (a, b) {
          return a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0;
        })
        .map(function (w) {
          var end = Date.parse(w.expires + 'T00:00:00Z') + 24 * 3600 * 1000;
          var state = end <= now ? 'expired' : end <= soon ? 'expiring' : 'ok';
          var scope = w.scope
            ? w.scope.kind === 'all'
              ? 'all clusters'
              : w.scope.kind + ' ' + (w.scope.subscriptionId || w.scope.clusterId || '') + (w.scope.pool ? ' pool ' + w.scope.pool : '')
            : '';
          return el('tr', { cls: state === 'ok' ? null : state, 'data-waiver': w.id, 'data-expiry': state }, [
            td(w.topic || w.checkId + (w.benchmark ? ' (' + w.benchmark + ')' : '')),
            td(scope),
            td(w.owner),
            el('td', null, [w.expires, state === 'ok' ? '' : el('b', { text: state === 'expired' ? ' · expired' : ' · expires within 30 days' })]),
            td(w.reason),
            td(w.source),
          ]);
        });
      setView('waivers', 'Waivers', [
        section('Waivers', 'waivers', [
          el('p', { cls: 'muted', text: 'Sorted by expiry; rows expiring within 30 days are marked, expired ones too.' }),
          rows.length ? table(['Topic or check', 'Scope', 'Owner', 'Expires', 'Reason', 'Source'], rows) : empty('No waivers.'),
        ]),
      ]);
    });
  }

  route();
})();
