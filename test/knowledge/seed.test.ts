/**
 * The seed (a kube-bench text run on an old AKS node, benchmark unknown): every check resolves by
 * its text alone, no two checks land on one topic by accident, and the operator's questions get
 * answers in the entries.
 */
import { describe, expect, it } from 'vitest';
import { resolveEntry, triageCheck } from '../../src/knowledge/index.js';
import type { KnowledgeEntry } from '../../src/knowledge/index.js';
import { seedChecks } from './helpers.js';

const seed = seedChecks();
const resolved = new Map(seed.map((c) => [c.id, resolveEntry({ id: c.id, benchmark: null, title: c.title })]));
const entry = (id: string): KnowledgeEntry => {
  const e = resolved.get(id);
  if (!e) throw new Error(`seed ${id} did not resolve`);
  return e;
};

describe('seed', () => {
  it('has the 23 checks the README counts (14 FAIL, 7 PASS, 2 WARN)', () => {
    expect(seed).toHaveLength(23);
    expect(seed.filter((c) => c.status === 'FAIL')).toHaveLength(14);
    expect(seed.filter((c) => c.status === 'WARN')).toHaveLength(2);
  });

  it.each(seed.map((c) => [c.id, c.title] as const))('%s resolves by text: %s', (id) => {
    expect(resolved.get(id)).not.toBeNull();
    expect(triageCheck({ id, benchmark: null, title: seed.find((c) => c.id === id)?.title ?? '' })?.whatToDo).toBeTruthy();
  });

  it('resolves the same under its worker node header (nodeType node, as the text parser sets it)', () => {
    for (const c of seed) expect(resolveEntry({ id: c.id, benchmark: null, title: c.title, nodeType: 'node' })?.topic, c.id).toBe(resolved.get(c.id)?.topic);
  });

  it('no two seed checks share a topic', () => {
    const topics = seed.map((c) => resolved.get(c.id)?.topic);
    expect(new Set(topics).size).toBe(seed.length);
    expect(entry('2.2.7').topic).toBe('files.client-ca.permissions');
    expect(entry('2.2.8').topic).toBe('files.client-ca.ownership');
  });

  it('legacy checks resolve by text, not by their legacy id', () => {
    // Seed 2.1.9 is keep-terminated-pod-volumes; in kube-bench cfg/1.11 numbering 2.1.9 is hostname-override.
    expect(entry('2.1.9').topic).toBe('kubelet.keep-terminated-pod-volumes');
    expect(entry('2.1.10').topic).toBe('kubelet.hostname-override');
    expect(entry('2.1.13').topic).toBe('kubelet.cadvisor-port');
    expect(entry('2.1.14').topic).toBe('kubelet.rotate-kubelet-client-certificate');
    expect(entry('2.1.15').topic).toBe('kubelet.rotate-kubelet-server-certificate');
    expect(entry('2.2.4').topic).toBe('files.kubelet-service.ownership');
  });

  it('dropped checks are obsolete, and say so', () => {
    for (const id of ['2.1.1', '2.1.9', '2.1.13', '2.1.14']) expect(entry(id).disposition, id).toBe('obsolete');
  });

  it("answers the operator's questions", () => {
    expect(entry('2.1.6').answers).toMatch(/0 disables the timeout|never close/);
    expect(entry('2.1.7').answers).toMatch(/true is the safe value/);
    expect(entry('2.1.8').answers).toMatch(/Calico/);
    expect(entry('2.1.8').answers).toMatch(/kube-router/);
    expect(entry('2.1.8').answers).toMatch(/Cilium/);
    expect(entry('2.1.12').answers).toMatch(/mesh/);
    expect(entry('2.1.12').answers).toMatch(/10250/);
    expect(entry('2.1.15').answers).toMatch(/1\.27/);
    expect(entry('2.1.14').answers).toMatch(/GA/);
  });

  it('replaces the outdated PodSecurityPolicy advice', () => {
    const e = entry('2.1.1');
    expect(e.mitigation).toMatch(/Pod Security Admission/);
    expect(e.mitigation).toMatch(/Azure Policy/);
    expect(e.mitigation).toMatch(/removed in Kubernetes\s+1\.25/);
    for (const id of ['2.2.1', '2.2.2', '2.2.3', '2.2.4', '2.2.5', '2.2.6']) expect(entry(id).whatToDo, id).toBeTruthy();
  });
});
