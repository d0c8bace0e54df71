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

  it('RotateKubeletServerCertificate went Fail, Pass, Pass, Fail, Fail, Pass, and the entry says exactly that', () => {
    const e = kb.byTopic.get('kubelet.rotate-kubelet-server-certificate');
    const order = Object.entries(kb.meta.msTables)
      .sort((a, b) => a[1].date.localeCompare(b[1].date))
      .map(([key]) => e?.microsoft.find((c) => c.table === key)?.status);
    expect(order).toEqual(['Fail', 'Pass', 'Pass', 'Fail', 'Fail', 'Pass']);
    // The entry states the sequence as the tables give it, and no reason Microsoft does not give.
    expect(e?.uncertain?.replace(/\s+/g, ' ')).toContain('Fail (2022-10), Pass (2023-08), Pass (2024-03), Fail (2025-06), Fail (2025-10), Pass (2026-04)');
    expect(e?.uncertain).not.toMatch(/four times/);
    expect(e?.answers).not.toMatch(/why Microsoft|status flipped/);
  });

  it.each([
    ['cni.latest-version', '5.3.1'],
    ['network.network-policy-enabled', '5.3.1'],
    ['admission.controllers-working', '5.5.1'],
    ['auth.entra-rbac-users', '3.1.1'],
  ])("%s claims no status from Microsoft's row %s, a different recommendation; the note calls it related", (topic, rowId) => {
    const e = kb.byTopic.get(topic);
    const row = rows.find((r) => r.id === rowId && tableByCommit.get(r.commit) === 'ms-2026-04');
    expect(row).toBeDefined();
    // The row is about something else: its text does not resolve to this topic.
    expect(resolveEntry({ id: rowId, benchmark: null, title: row?.text ?? '' })?.topic).not.toBe(topic);
    expect(e?.microsoft).toEqual([]);
    expect(e?.microsoftNote).toMatch(/related row, not a status for this topic/i);
    expect(e?.microsoftNote).toContain(rowId);
  });

  it('protect-kernel-defaults: CIS dropped it in 1.7.0, Microsoft still listed it in 2024-03', () => {
    const e = kb.byTopic.get('kubelet.protect-kernel-defaults');
    const in2024 = rows.find((r) => tableByCommit.get(r.commit) === 'ms-2024-03' && r.id === '4.2.6');
    expect(in2024?.text).toMatch(/protect-kernel-defaults/);
    expect(
      rows.some((r) => ['ms-2025-06', 'ms-2025-10', 'ms-2026-04'].includes(tableByCommit.get(r.commit) ?? '') && /protect-kernel-defaults/.test(r.text)),
    ).toBe(false);
    // cis-1.7's 4.2.6 is make-iptables-util-chains: the check is gone from that edition.
    expect(resolveEntry({ id: '4.2.6', benchmark: 'cis-1.7', title: '' })?.topic).toBe('kubelet.make-iptables-util-chains');
    expect(e?.ids['cis-b']).toBeUndefined();
    const note = e?.microsoftNote?.replace(/\s+/g, ' ') ?? '';
    expect(note).toMatch(/CIS dropped the check in CIS Kubernetes 1\.7\.0/);
    expect(note).toMatch(/2024-03 table .* still lists it/);
  });
});

describe('legacy file permission checks (kube-bench cfg/1.8)', () => {
  it.each(['2.2.1', '2.2.3', '2.2.5'])('%s: the entry says only 644, 640 or 600 passed, and whose Pass Microsoft gave', (legacyId) => {
    const e = allEntries().find((x) => x.legacy.some((l) => l.edition === 'kube-bench cfg/1.8' && l.id === legacyId));
    const kubeBench = e?.kubeBench?.replace(/\s+/g, ' ') ?? '';
    expect(kubeBench).toMatch(/exactly 644, 640 or 600/);
    expect(kubeBench).toMatch(/400 or 444 FAILed/);
    if (e?.answers) {
      expect(e.answers.replace(/\s+/g, ' ')).toMatch(/Microsoft's Pass is for the CIS Kubernetes row \(4\.1\.\d+\)/);
    }
  });
});
