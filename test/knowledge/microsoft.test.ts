/**
 * Microsoft's attestation tables (shared/reference/aks-cis.md) against the entries: every worker node
 * row of every table edition is claimed by exactly one entry with Microsoft's status, every claim
 * anywhere matches its row, and each row's own wording resolves to the entry that claims it.
 */
import { describe, expect, it } from 'vitest';
import { allEntries, resolveEntry } from '../../src/knowledge/index.js';
import { knowledgeBase } from '../../src/knowledge/load.js';
import { msRows, plainReason } from './helpers.js';

const rows = msRows();
const kb = knowledgeBase();
const tableByCommit = new Map(Object.entries(kb.meta.msTables).map(([key, t]) => [t.commit, key]));

describe("Microsoft's CIS tables", () => {
  it('meta.yaml names every table edition in aks-cis.md, and only those', () => {
    const commits = new Set(rows.map((r) => r.commit));
    expect(commits.size).toBe(6);
    expect([...commits].sort()).toEqual([...tableByCommit.keys()].sort());
  });

  const nodeRows = rows.filter((r) => r.id.startsWith('4.'));
  it.each(nodeRows.map((r) => [`${tableByCommit.get(r.commit)} ${r.id}`, r] as const))('%s is claimed once, with its status', (_n, r) => {
    const table = tableByCommit.get(r.commit);
    const claims = allEntries().flatMap((e) => e.microsoft.filter((c) => c.table === table && c.id === r.id).map((c) => ({ e, c })));
    expect(claims.length, `${table} ${r.id} "${r.text}"`).toBe(1);
    const claim = claims[0];
    if (!claim) return;
    expect(claim.c.status).toBe(r.status);
    // The row's own wording resolves to the claiming entry (text matching, no benchmark).
    expect(resolveEntry({ id: r.id, benchmark: null, title: r.text })?.topic, `"${r.text}"`).toBe(claim.e.topic);
  });

  it('every claim in the data matches its row (status, and reason when one is quoted)', () => {
    const byKey = new Map(rows.map((r) => [`${tableByCommit.get(r.commit)}|${r.id}`, r]));
    for (const e of allEntries()) {
      for (const c of e.microsoft) {
        const row = byKey.get(`${c.table}|${c.id}`);
        expect(row, `${e.topic}: ${c.table} ${c.id} is not a row`).toBeDefined();
        if (!row) continue;
        expect(row.status, `${e.topic}: ${c.table} ${c.id}`).toBe(c.status);
        if (c.reason) expect(plainReason(row.reason)).toContain(c.reason);
      }
    }
  });

  it('RotateKubeletServerCertificate went Fail, Pass, Fail, Pass, and the entry says it is uncertain', () => {
    const e = kb.byTopic.get('kubelet.rotate-kubelet-server-certificate');
    const order = Object.entries(kb.meta.msTables)
      .sort((a, b) => a[1].date.localeCompare(b[1].date))
      .map(([key]) => e?.microsoft.find((c) => c.table === key)?.status);
    expect(order).toEqual(['Fail', 'Pass', 'Pass', 'Fail', 'Fail', 'Pass']);
    expect(e?.uncertain).toMatch(/changed/);
  });
});
