/**
 * Coverage: every check kube-bench can report for AKS (the vendored and the shared cfg), and every
 * worker-node check of the generic cis-1.x benchmarks kube-bench falls back to, has an entry; and no
 * entry claims an AKS id the cfg does not have.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { allEntries, entryByTopic, resolveEntry } from '../../src/knowledge/index.js';
import { knowledgeBase } from '../../src/knowledge/load.js';
import { HAS_SHARED, ROOT, SHARED_CFG, VENDORED_CFG, cfgChecks } from './helpers.js';

const checks = cfgChecks();

describe('kube-bench AKS cfg coverage', () => {
  it('reads the vendored cfg (and shared/ when beside the checkout), all three AKS benchmarks', () => {
    const benches = new Set(checks.map((c) => c.benchmark));
    expect([...benches].sort()).toEqual(['aks-1.0', 'aks-1.7', 'aks-1.8']);
    expect(checks.some((c) => c.file.startsWith(VENDORED_CFG))).toBe(true);
    expect(checks.some((c) => c.file.startsWith(SHARED_CFG))).toBe(HAS_SHARED);
  });

  it.each(checks.map((c) => [`${c.benchmark} ${c.id} (${c.file.startsWith(VENDORED_CFG) ? 'vendored' : 'shared'})`, c] as const))(
    '%s resolves by id and by text to the same topic',
    (_name, c) => {
      const byId = resolveEntry({ id: c.id, benchmark: c.benchmark, title: '' });
      const byText = resolveEntry({ id: c.id, benchmark: null, title: c.text });
      expect(byId, `${c.benchmark} ${c.id} has no entry`).not.toBeNull();
      expect(byText?.topic, `text "${c.text}"`).toBe(byId?.topic);
    },
  );

  it('no entry names an AKS id the cfg does not have', () => {
    const have = new Set(checks.map((c) => `${c.benchmark}|${c.id}`));
    const kb = knowledgeBase();
    const claimed = [...kb.byId.keys()].filter((k) => k.startsWith('aks-'));
    expect(claimed.filter((k) => !have.has(k))).toEqual([]);
    // The reverse holds too: every cfg check is claimed by id.
    expect([...have].filter((k) => !kb.byId.has(k))).toEqual([]);
  });

  it('node checks (3.x) have entries in full depth', () => {
    const nodeTopics = new Set(
      checks.filter((c) => c.nodeType === 'node').map((c) => resolveEntry({ id: c.id, benchmark: c.benchmark, title: c.text })?.topic),
    );
    for (const topic of nodeTopics) {
      const e = entryByTopic(topic ?? '');
      expect(e, topic).not.toBeNull();
      if (!e) continue;
      expect(e.aks?.where.length ?? 0, `${topic} aks.where`).toBeGreaterThan(0);
      expect(e.kubeBench, `${topic} kubeBench`).toBeTruthy();
      expect(e.verify, `${topic} verify`).toBeTruthy();
      expect(e.microsoft.length > 0 || e.microsoftNote !== undefined, `${topic} Microsoft status or note`).toBe(true);
      expect(e.why.split(/[.!?](\s|$)/).filter((s) => s.trim().length > 3).length, `${topic} why in sentences`).toBeGreaterThanOrEqual(1);
    }
  });

  it('other AKS sections carry at least responsibility, disposition, a note and a source', () => {
    for (const c of checks.filter((x) => x.nodeType !== 'node')) {
      const e = resolveEntry({ id: c.id, benchmark: c.benchmark, title: c.text });
      expect(e?.rationale, `${c.benchmark} ${c.id}`).toBeTruthy();
      expect(e?.sources.length ?? 0).toBeGreaterThan(0);
    }
  });
});

interface CisFixture {
  benchmarks: Record<string, { commit: string; checks: Record<string, string | null> }>;
}

describe('generic cis-1.x worker node coverage (kube-bench fallback)', () => {
  // The fixture uses YAML merge keys (<<), which only js-yaml's default schema resolves.
  const fixture = load(readFileSync(join(ROOT, 'test/knowledge/fixtures/kube-bench-cis-node.yaml'), 'utf8')) as CisFixture;
  const rows = Object.entries(fixture.benchmarks).flatMap(([b, v]) => Object.entries(v.checks).map(([id, text]) => ({ b, id, text })));

  it.each(rows.map((r) => [`${r.b} ${r.id}`, r] as const))('%s resolves, and its text agrees', (_n, r) => {
    const byId = resolveEntry({ id: r.id, benchmark: r.b, title: '' });
    expect(byId, `${r.b} ${r.id}`).not.toBeNull();
    if (r.text) expect(resolveEntry({ id: r.id, benchmark: null, title: r.text })?.topic).toBe(byId?.topic);
  });

  it('no entry names a cis id kube-bench does not have', () => {
    const have = new Set(rows.map((r) => `${r.b}|${r.id}`));
    const claimed = [...knowledgeBase().byId.keys()].filter((k) => k.startsWith('cis-'));
    expect(claimed.filter((k) => !have.has(k))).toEqual([]);
  });

  it('ids differ between editions where kube-bench renumbered', () => {
    // 4.2.6 is protect-kernel-defaults up to cis-1.24, make-iptables-util-chains from cis-1.7.
    expect(resolveEntry({ id: '4.2.6', benchmark: 'cis-1.24', title: '' })?.topic).toBe('kubelet.protect-kernel-defaults');
    expect(resolveEntry({ id: '4.2.6', benchmark: 'cis-1.7', title: '' })?.topic).toBe('kubelet.make-iptables-util-chains');
    expect(resolveEntry({ id: '4.2.12', benchmark: 'cis-1.23', title: '' })?.topic).toBe('kubelet.rotate-kubelet-server-certificate');
    expect(resolveEntry({ id: '4.2.12', benchmark: 'cis-1.10', title: '' })?.topic).toBe('kubelet.tls-cipher-suites');
  });
});

describe('entries', () => {
  it('every entry has a one-line whatToDo and a source', () => {
    for (const e of allEntries()) {
      expect(e.whatToDo.includes('\n')).toBe(false);
      expect(e.sources.length).toBeGreaterThan(0);
    }
  });
});
