/**
 * Every AKS value and place an entry states cites where it comes from: AgentBaker at the pinned commit
 * (file and function or lines), a Microsoft document, or for pre-AgentBaker nodes aks-engine or an AKS
 * maintainer. An entry without such a source does not load.
 */
import { describe, expect, it } from 'vitest';
import { allEntries } from '../../src/knowledge/index.js';
import { knowledgeBase } from '../../src/knowledge/load.js';
import { KnowledgeEntrySchema } from '../../src/model/knowledge.js';

const minimal = {
  topic: 'kubelet.example',
  area: 'kubelet',
  title: 'example',
  ids: {},
  what: 'w',
  why: 'y',
  responsibility: 'microsoft',
  disposition: 'platform',
  rationale: 'r',
  mitigation: 'm',
  whatToDo: 'nothing',
  sources: [{ title: 's' }],
};

describe('sources for AKS values', () => {
  it('an entry stating aks.value or aks.where without evidence is rejected', () => {
    const noEvidence = KnowledgeEntrySchema.safeParse({ ...minimal, aks: { value: '0 (disabled)' } });
    expect(noEvidence.success).toBe(false);
    expect(noEvidence.error?.issues[0]?.message).toMatch(/need aks\.evidence/);
    expect(KnowledgeEntrySchema.safeParse({ ...minimal, aks: { where: ['/etc/default/kubelet'] } }).success).toBe(false);
    // An issue thread is not evidence of what AKS sets: only the four kinds are.
    const thread = { kind: 'issue', url: 'https://github.com/aquasecurity/kube-bench/issues/1147', shows: 'flags' };
    expect(KnowledgeEntrySchema.safeParse({ ...minimal, aks: { value: '0', evidence: [thread] } }).success).toBe(false);
    const maintainer = { kind: 'aks-maintainer', url: 'https://github.com/aquasecurity/kube-bench/issues/1147', who: 'x', date: '2022-04-01', shows: 'flags' };
    expect(KnowledgeEntrySchema.safeParse({ ...minimal, aks: { value: '0', evidence: [maintainer] } }).success).toBe(false);
    const agentbaker = {
      kind: 'agentbaker',
      commit: '06836ee2301e362039418c3a7ed0fe6004a641fd',
      path: 'e2e/node_config.go',
      at: 'L846',
      shows: 'read-only-port 0',
    };
    expect(KnowledgeEntrySchema.safeParse({ ...minimal, aks: { value: '0', evidence: [agentbaker] } }).success).toBe(true);
    expect(KnowledgeEntrySchema.safeParse({ ...minimal, aks: { value: '0', evidence: [{ ...agentbaker, commit: '06836ee2' }] } }).success).toBe(false);
  });

  it('every shipped entry with an AKS value or place has evidence, and AgentBaker evidence is at the pinned commit', () => {
    const pinned = knowledgeBase().meta.agentBaker.commit;
    const stated = allEntries().filter((e) => e.aks && (e.aks.value !== undefined || e.aks.where.length > 0));
    expect(stated.length).toBeGreaterThanOrEqual(30);
    for (const e of stated) {
      expect(e.aks?.evidence.length, e.topic).toBeGreaterThan(0);
      for (const ev of e.aks?.evidence ?? []) {
        if (ev.kind === 'agentbaker') {
          expect(ev.commit, e.topic).toBe(pinned);
          expect(ev.at, e.topic).toMatch(/L\d+|[A-Za-z_]{4,}/);
        }
      }
    }
  });

  it('no AKS value rests on the 2022 kube-bench thread any more', () => {
    for (const e of allEntries()) expect(`${e.aks?.value ?? ''} ${e.rationale}`, e.topic).not.toMatch(/AKS flags,? 2022/);
  });

  it('the cipher entry lists the two static-RSA suites and is a real deviation under cis-1.12', () => {
    const e = allEntries().find((x) => x.topic === 'kubelet.tls-cipher-suites');
    expect(e?.aks?.value).toContain('TLS_RSA_WITH_AES_256_GCM_SHA384');
    expect(e?.aks?.value).toContain('TLS_RSA_WITH_AES_128_GCM_SHA256');
    expect(e?.overrides.find((o) => o.benchmarks.includes('cis-1.12'))?.disposition).toBe('environment');
  });
});
