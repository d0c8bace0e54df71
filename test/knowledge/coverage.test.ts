/**
 * Coverage: every check of every benchmark kube-bench v0.15.6 ships for AKS resolves to an entry (zero
 * unknown): the aks-1.x benchmarks (vendored, and shared/ when beside the checkout), and the node and
 * policies sections of every generic cis-1.x edition, which kube-bench falls back to without --benchmark.
 * No entry claims an id the cfg does not have.
 */
import { describe, expect, it } from 'vitest';
import { allEntries, entryByTopic, resolveEntry } from '../../src/knowledge/index.js';
import { knowledgeBase } from '../../src/knowledge/load.js';
import { HAS_SHARED, SHARED_CFG, VENDORED_CFG, cfgChecks } from './helpers.js';

const CIS_EDITIONS = ['cis-1.10', 'cis-1.11', 'cis-1.12', 'cis-1.20', 'cis-1.23', 'cis-1.24', 'cis-1.5', 'cis-1.6', 'cis-1.7', 'cis-1.8', 'cis-1.9'];

const checks = cfgChecks();

describe('kube-bench AKS cfg coverage', () => {
  it('reads the vendored cfg (and shared/ when beside the checkout): the three AKS benchmarks and every cis-1.x edition', () => {
    const benches = new Set(checks.map((c) => c.benchmark));
    expect([...benches].sort()).toEqual(['aks-1.0', 'aks-1.7', 'aks-1.8', ...CIS_EDITIONS].sort());
    // cis-1.x: the node and policies sections (the ones that run on a node), nothing else.
    const cisTypes = new Set(checks.filter((c) => c.benchmark.startsWith('cis-')).map((c) => c.nodeType));
    expect([...cisTypes].sort()).toEqual(['node', 'policies']);
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

  it('zero unknown: every check of every shipped cfg has an entry', () => {
    const unknown = checks.filter((c) => resolveEntry({ id: c.id, benchmark: c.benchmark, title: c.text }) === null);
    expect(unknown.map((c) => `${c.benchmark} ${c.id}`)).toEqual([]);
    expect(checks.length).toBeGreaterThan(700);
  });

  it('no entry names an id the cfg does not have', () => {
    const have = new Set(checks.map((c) => `${c.benchmark}|${c.id}`));
    const kb = knowledgeBase();
    const claimed = [...kb.byId.keys()];
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

describe('generic cis-1.x editions (kube-bench fallback)', () => {
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
