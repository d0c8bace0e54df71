import { describe, expect, it } from 'vitest';
import type { ClusterChange, DigestMessage } from '../../src/alert/digest.js';
import { buildDigest, waiversExpiredSince } from '../../src/alert/digest.js';
import type { CardElement } from '../../src/alert/teams.js';
import { TEAMS_BUDGET_BYTES } from '../../src/alert/teams.js';
import { compareChecks } from '../../src/diff/coverage.js';
import { diffScans } from '../../src/diff/diff.js';
import { parseWaivers } from '../../src/knowledge/index.js';
import { InputError } from '../../src/model/errors.js';
import { check, scan } from '../diff/fixtures.js';
import { cfgChecks, digestCluster, scannedChange } from './fixtures.js';
import { messageProblems } from './validate-card.js';

const DASHBOARD = 'https://scanner.example.com/api/dashboard?code=SECRET-FUNCTION-KEY#/fleet';

/** Every element of the card body, depth first. */
function walk(elements: CardElement[]): CardElement[] {
  return elements.flatMap((e) => [e, ...(e.type === 'Container' ? walk(e.items) : [])]);
}

function content(m: DigestMessage): { body: CardElement[]; actions?: { url: string }[] } {
  // Every digest a test builds must pass the Adaptive Cards parser and the 1.4 schema.
  expect(messageProblems(m.body)).toEqual([]);
  const a = m.body.attachments[0];
  if (!a) throw new Error('no attachment');
  return a.content;
}

function texts(m: DigestMessage): string[] {
  return walk(content(m).body).flatMap((e) => (e.type === 'TextBlock' ? [e.text] : []));
}

function facts(m: DigestMessage): Record<string, string> {
  return Object.fromEntries(walk(content(m).body).flatMap((e) => (e.type === 'FactSet' ? e.facts.map((f) => [f.title, f.value]) : [])));
}

function digest(clusters: ClusterChange[], over: Partial<Parameters<typeof buildDigest>[0]> = {}): DigestMessage {
  const m = buildDigest({ runId: 'run-7', channel: 'payments', clusters, dashboardUrl: DASHBOARD, ...over });
  if (!m) throw new Error('expected a digest');
  return m;
}

const fails =
  (...topics: string[]) =>
  (topic: string | null): boolean =>
    topic !== null && topics.includes(topic);

describe('buildDigest content', () => {
  it('heads with the counts, lists new FAILs yours first grouped by topic across pools, with what to do, and the fixes', () => {
    const web = digestCluster(1, { resourceGroup: 'rg-web (prod)', name: 'aks-web' });
    const before = [
      ...cfgChecks('aks-1.8', fails('kubelet.event-qps', 'rbac.wildcards'), 'system'),
      ...cfgChecks('aks-1.8', fails('kubelet.event-qps'), 'user'),
    ];
    const after = [
      ...cfgChecks('aks-1.8', fails('kubelet.event-qps', 'kubelet.read-only-port', 'pods.privileged'), 'system'),
      ...cfgChecks('aks-1.8', fails('kubelet.event-qps', 'pods.privileged'), 'user'),
    ];
    const quiet = digestCluster(2);
    const fixer = digestCluster(3);
    const m = digest([
      scannedChange(web, before, after),
      scannedChange(quiet, cfgChecks('aks-1.8', fails('kubelet.event-qps')), cfgChecks('aks-1.8', fails('kubelet.event-qps'))),
      scannedChange(fixer, cfgChecks('aks-1.8', fails('rbac.cluster-admin')), cfgChecks('aks-1.8', fails())),
    ]);
    const t = texts(m);
    // pods.privileged on two pools is one row; rbac.wildcards was fixed on system.
    expect(t[0]).toBe('3 new FAILs on 1 cluster; 2 clusters fixed something');
    expect(m.newFails).toBe(3);
    expect(m.fixed).toBe(2);
    expect(m.clusters).toBe(2);
    expect(facts(m)['New FAILs']).toBe('3 (2 yours to fix)');
    const head = t.find((x) => x.includes('aks-web')) as string;
    expect(head).toBe(
      '**[rg-web (prod) / aks-web](https://scanner.example.com/api/dashboard#/cluster/00000000-0000-0000-0000-000000000002/rg-web%20%28prod%29/aks-web)**: ' +
        '3 new FAILs (2 yours to fix), 1 fixed',
    );
    const rows = t.filter((x) => x.startsWith('**4.') || x.startsWith('**3.'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\*\*4\.2\.1\*\* .*privileged.* \(pools system, user; yours to fix\) → .+/i);
    expect(rows[1]).toMatch(/^\*\*3\.2\.4\*\* .*read-only-port.* \(pool system; check-quirk\) → Check quirk/);
    expect(t.find((x) => x.startsWith('Fixed: '))).toMatch(/^Fixed: 4\.1\.3 .* \(system\)$/);
    // The unchanged cluster is not mentioned; the one that only fixed something is.
    expect(t.some((x) => x.includes(quiet.name))).toBe(false);
    expect(t.some((x) => x.includes(`${fixer.name}](`) && x.endsWith(': 1 fixed'))).toBe(true);
  });

  it('never carries the dashboard key: only origin and path, with the cluster route in the fragment', () => {
    const m = digest([scannedChange(digestCluster(1), cfgChecks('aks-1.8', fails()), cfgChecks('aks-1.8', fails('pods.privileged')))]);
    const wire = JSON.stringify(m.body);
    expect(wire).not.toContain('SECRET-FUNCTION-KEY');
    expect(wire).not.toContain('code=');
    expect(content(m).actions?.map((a) => a.url)).toEqual(['https://scanner.example.com/api/dashboard']);
    expect(() => buildDigest({ runId: 'r', channel: 'c', clusters: [], dashboardUrl: 'javascript:alert(1)' })).toThrow(InputError);
  });

  it("carries no link of the cluster's making, and no link at all without DASHBOARD_URL", () => {
    const after = cfgChecks('aks-1.8', fails('pods.privileged')).map((c) =>
      c.status === 'FAIL' ? { ...c, title: 'Ensure [this](https://phish.example.net/login) is reviewed' } : c,
    );
    const failed: ClusterChange = {
      cluster: digestCluster(2),
      outcome: { kind: 'failed', reason: 'command-failed', detail: 'see [the log](https://phish.example.net/log)' },
      previousOutcome: 'scanned',
      changes: null,
    };
    const m = digest([scannedChange(digestCluster(1), cfgChecks('aks-1.8', fails()), after), failed], { dashboardUrl: undefined });
    const t = texts(m);
    expect(t.filter((x) => x.includes('phish'))).toHaveLength(2);
    for (const x of t) expect(x).not.toContain('](');
    expect(t.find((x) => x.startsWith('**4.2.1**'))).toContain('Ensure (this)(https://phish.example.net/login) is reviewed');
    expect(content(m).actions).toBeUndefined();
  });

  it('lists clusters that newly failed to scan with their reason, not those that were failing already', () => {
    const failed = (i: number, previousOutcome: ClusterChange['previousOutcome']): ClusterChange => ({
      cluster: digestCluster(i),
      outcome: { kind: 'failed', reason: 'admission-denied', detail: 'policy azurepolicy-k8sazurev2blockdefault denied the Job' },
      previousOutcome,
      changes: null,
    });
    const m = digest([failed(4, 'scanned'), failed(5, 'failed'), failed(6, null)]);
    const t = texts(m);
    expect(t).toContain('Newly failing to scan (2)');
    const rows = t.filter((x) => x.includes('**admission-denied**'));
    expect(rows.map((x) => /aks-\d+/.exec(x)?.[0])).toEqual(['aks-004', 'aks-006']);
    expect(rows[0]).toContain('policy azurepolicy-k8sazurev2blockdefault denied the Job');
    expect(t[0]).toBe('No new FAILs; 0 clusters fixed something');
  });

  it('announces waivers that expired since the last run, once', () => {
    const waivers = parseWaivers(
      [
        'waivers:',
        '  - { topic: kubelet.read-only-port, scope: all, reason: Port closed on all images, owner: platform@example.com, expires: 2026-11-25 }',
        '  - { topic: pods.privileged, scope: all, reason: Legacy agent, owner: sec@example.com, expires: 2026-10-01 }',
        '  - { topic: rbac.wildcards, scope: all, reason: Operator needs it, owner: sec@example.com, expires: 2027-01-01 }',
      ].join('\n'),
      'waivers.yaml',
    );
    const since = waiversExpiredSince(waivers, new Date('2026-11-25T02:00:00Z'), new Date('2026-11-26T02:00:00Z'));
    expect(since.map((w) => w.topic)).toEqual(['kubelet.read-only-port']);
    expect(waiversExpiredSince(waivers, null, new Date('2026-11-26T02:00:00Z')).map((w) => w.topic)).toEqual(['kubelet.read-only-port', 'pods.privileged']);
    const m = digest([], { expiredWaivers: since });
    const t = texts(m);
    expect(t).toContain('Waivers expired since the last run (1)');
    expect(t.find((x) => x.includes('kubelet.read-only-port'))).toMatch(/expired 2026-11-25, owner platform@example.com: Port closed on all images$/);
  });

  it('counts new FAILs a waiver covers without listing them', () => {
    const change = scannedChange(digestCluster(1), cfgChecks('aks-1.8', fails()), cfgChecks('aks-1.8', fails('pods.privileged', 'rbac.wildcards')));
    const m = digest([{ ...change, waivedBy: (it) => (it.topic === 'rbac.wildcards' ? { id: 'w1', reason: 'r', owner: 'o', expires: '2027-01-01' } : null) }]);
    expect(m.newFails).toBe(1);
    expect(facts(m)['Waived']).toBe('1 new FAIL not listed');
    expect(texts(m).some((x) => x.startsWith('**4.1.3**'))).toBe(false);
    expect(texts(m).some((x) => x.startsWith('**4.2.1**'))).toBe(true);
  });

  it('has nothing to say when nothing changed', () => {
    const same = cfgChecks('aks-1.8', fails('pods.privileged'));
    expect(buildDigest({ runId: 'r', channel: 'c', clusters: [scannedChange(digestCluster(1), same, same)] })).toBeNull();
    const skipped: ClusterChange = {
      cluster: digestCluster(2),
      outcome: { kind: 'skipped', reason: 'stopped', detail: 'stopped' },
      previousOutcome: 'scanned',
      changes: null,
    };
    expect(buildDigest({ runId: 'r', channel: 'c', clusters: [skipped] })).toBeNull();
  });
});

describe('buildDigest baseline', () => {
  it("a cluster's first scan is one baseline line, never a list of new FAILs", () => {
    const first = scannedChange(
      digestCluster(9),
      null,
      cfgChecks('aks-1.8', fails('pods.privileged', 'rbac.wildcards', 'kubelet.event-qps', 'kubelet.read-only-port')),
    );
    const m = digest([first]);
    const t = texts(m);
    expect(t).toContain('First scans (1)');
    expect(t.filter((x) => x.includes('aks-009'))).toEqual([expect.stringMatching(/\): baseline: 4 FAIL, 2 yours to fix$/)]);
    expect(t.some((x) => /^\*\*\d/.test(x))).toBe(false);
    expect(m.newFails).toBe(0);
    expect(t[0]).toBe('No new FAILs; 0 clusters fixed something');
    expect(facts(m)['First scans']).toBe('1 cluster');
  });
});

describe('buildDigest across a benchmark boundary', () => {
  const failing = ['kubelet.event-qps', 'kubelet.read-only-port', 'pods.privileged', 'general.default-namespace'];
  // aks-1.8 adds 4.1.7-4.1.12; failing them all shows what a naive diff would call new.
  const everyNewCheckFails = (topic: string | null, id: string): boolean => (topic !== null && failing.includes(topic)) || /^4\.1\.(7|8|9|10|11|12)$/.test(id);

  it('aks-1.7 → aks-1.8 (1.31 → 1.32): same topics failing, nothing new; checks only aks-1.8 has are coverage', () => {
    const before = cfgChecks('aks-1.7', fails(...failing));
    const after = cfgChecks('aks-1.8', everyNewCheckFails);
    const naive = diffScans(scan(before), scan(after));
    expect(naive.newFailures.map((i) => i.id).sort()).toEqual(['4.1.10', '4.1.11', '4.1.12', '4.1.7', '4.1.8', '4.1.9']);
    const c = compareChecks(before, after);
    expect(c.newFailures).toEqual([]);
    expect(c.fixed).toEqual([]);
    expect(c.stillFailing.map((i) => i.topic).sort()).toEqual([...failing].sort());
    expect(c.coverageAdded.map((i) => i.id).sort()).toEqual(['4.1.10', '4.1.11', '4.1.12', '4.1.7', '4.1.8', '4.1.9']);
    expect(c.coverageRemoved).toEqual([]);
    // Coverage alone is nothing to post about.
    expect(buildDigest({ runId: 'r', channel: 'c', clusters: [scannedChange(digestCluster(1), before, after)] })).toBeNull();
  });

  it('aks-1.0 → aks-1.8: renumbered checks match by topic; a real regression is still new, coverage is said apart', () => {
    const before = cfgChecks('aks-1.0', fails(...failing, 'files.kubelet-config.permissions'));
    const after = cfgChecks('aks-1.8', fails(...failing, 'rbac.cluster-admin'));
    const m = digest([scannedChange(digestCluster(1), before, after)]);
    expect(m.newFails).toBe(1);
    const t = texts(m);
    expect(t.filter((x) => /^\*\*\d/.test(x)).map((x) => x.split('**')[1])).toEqual(['4.1.1']);
    // files.kubelet-config.* exist only in aks-1.0: its FAIL is not "fixed". aks-1.0 alone has 9
    // topics (kubelet-config files, protect-kernel-defaults, hostname-override, four pod checks,
    // admission controllers); aks-1.8 alone has 8 (azure.json files, 4.1.7-4.1.12).
    expect(m.fixed).toBe(0);
    expect(t.find((x) => x.startsWith('Fixed'))).toBeUndefined();
    expect(t).toContain('Benchmark aks-1.0 → aks-1.8: 8 checks added (0 FAIL), 9 removed; not counted as new or fixed');
  });
});

describe('buildDigest truncation', () => {
  /** 300 new FAILs across 100 clusters: 3 new topics each, on two pools, as in the bench figure. */
  function fleet(): ClusterChange[] {
    const topics = ['pods.privileged', 'pods.host-pid', 'rbac.wildcards', 'kubelet.read-only-port', 'kubelet.event-qps', 'rbac.secrets-access'];
    return Array.from({ length: 100 }, (_, i) => {
      const now = topics.slice(i % 4, (i % 4) + 3);
      return scannedChange(digestCluster(i), cfgChecks('aks-1.8', fails()), cfgChecks('aks-1.8', fails(...now), i % 2 ? 'system' : 'user'));
    });
  }

  it('stays within 20,000 bytes and says how much it left off, with a link to the rest', () => {
    const m = digest(fleet());
    expect(m.newFails).toBe(300);
    expect(m.bytes).toBeLessThanOrEqual(TEAMS_BUDGET_BYTES);
    expect(Buffer.byteLength(JSON.stringify(m.body), 'utf8')).toBe(m.bytes);
    const t = texts(m);
    const listed = t.filter((x) => /^\*\*\d/.test(x)).length;
    expect(listed).toBeGreaterThan(10);
    const more = t.find((x) => x.startsWith('+')) as string;
    const clustersShown = t.filter((x) => x.startsWith('**[')).length;
    expect(more).toBe(`+${300 - listed} more new FAILs, +${100 - clustersShown} more clusters with changes not shown: open the dashboard`);
    expect(content(m).actions).toHaveLength(1);
    expect(m.included + m.omitted).toBe(100 * 4);
  });

  it('a larger budget lists more rows, an unbounded one lists them all', () => {
    const m = digest(fleet());
    const bigger = digest(fleet(), { budgetBytes: 1_000_000 });
    expect(bigger.omitted).toBe(0);
    expect(bigger.bytes).toBeGreaterThan(TEAMS_BUDGET_BYTES);
    const next = digest(fleet(), { budgetBytes: m.bytes + 2000 });
    expect(next.included).toBeGreaterThan(m.included);
  });

  it('a noisy cluster lists a few topics and counts the rest', () => {
    const everything = cfgChecks('aks-1.8', () => true);
    const m = digest([scannedChange(digestCluster(1), cfgChecks('aks-1.8', fails()), everything)], { maxLinesPerCluster: 3 });
    const t = texts(m);
    expect(t.filter((x) => /^\*\*\d/.test(x))).toHaveLength(3);
    // "+N more" links to the cluster's view, whose diff lists every one (the link carries no key).
    const more = t.find((x) => x.includes('more new FAILs on this cluster'));
    expect(more).toBe(
      `[+${everything.length - 3} more new FAILs on this cluster](https://scanner.example.com/api/dashboard#/cluster/${digestCluster(1).subscriptionId}/${digestCluster(1).resourceGroup}/${digestCluster(1).name})`,
    );
    expect(t.filter((x) => /^\*\*4\./.test(x))).toHaveLength(3);
    expect(
      texts(digest([scannedChange(digestCluster(1), cfgChecks('aks-1.8', fails()), everything)], { maxLinesPerCluster: 3, dashboardUrl: undefined })),
    ).toContain(`+${everything.length - 3} more new FAILs on this cluster`);
  });

  it("counts new FAILs and fixes past the stored lists' cap, and says where they all are", () => {
    const c = scannedChange(digestCluster(2), cfgChecks('aks-1.8', fails('kubelet.read-only-port')), cfgChecks('aks-1.8', fails('pods.privileged')));
    const listed = c.changes!.newFailures.length;
    const m = digest([{ ...c, beyond: { newFailures: 450, fixed: 7 } }]);
    const t = texts(m);
    expect(m.newFails).toBe(listed + 450);
    expect(t[0]).toContain(`${listed + 450} new FAILs on 1 cluster`);
    expect(t.find((x) => x.includes('more new FAILs on this cluster'))).toMatch(
      /^\[\+450 more new FAILs on this cluster\]\(https:\/\/scanner\.example\.com\/api\/dashboard#\/cluster\//,
    );
    expect(t.find((x) => x.startsWith('Fixed:'))).toMatch(/; \+7 more$/);
    expect(facts(m)['Fixed']).toMatch(new RegExp(`^${c.changes!.fixed.length + 7} checks`));
  });

  it('a budget too small for even the headline is an error, not a broken card', () => {
    expect(() => digest(fleet(), { budgetBytes: 300 })).toThrow(/does not fit 300 bytes/);
  });
});

describe('compareChecks', () => {
  it('a previous scan with no check is no benchmark to compare with: its FAILs are new, not coverage', () => {
    const c = compareChecks([], [check({ id: '4.1.1' })]);
    expect(c.firstScan).toBe(false);
    expect(c.newFailures.map((i) => i.id)).toEqual(['4.1.1']);
    expect(c.coverageAdded).toEqual([]);
  });

  it('reports new WARNs, but not a FAIL that became a WARN', () => {
    const before = [check({ id: '4.1.1', status: 'PASS' }), check({ id: '4.1.2', status: 'FAIL' }), check({ id: '4.1.3', status: 'WARN' })];
    const after = [check({ id: '4.1.1', status: 'WARN' }), check({ id: '4.1.2', status: 'WARN' }), check({ id: '4.1.3', status: 'WARN' })];
    const c = compareChecks(before, after);
    expect(c.newWarnings.map((i) => i.id)).toEqual(['4.1.1']);
    expect(c.fixed.map((i) => [i.id, i.after])).toEqual([['4.1.2', 'WARN']]);
  });
});
