/** Resolution rules and triage: id first, text when the id is unknown or contradicted, overrides by benchmark. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DISPOSITIONS, normaliseText, resolveEntry, triageCheck } from '../../src/knowledge/index.js';

describe('resolveEntry', () => {
  it('means an id only together with its benchmark', () => {
    // RotateKubeletServerCertificate is 3.2.11 in aks-1.0 but 3.2.9 in aks-1.7/1.8; 3.2.9 is event-qps in aks-1.0.
    expect(resolveEntry({ id: '3.2.11', benchmark: 'aks-1.0', title: '' })?.topic).toBe('kubelet.rotate-kubelet-server-certificate');
    expect(resolveEntry({ id: '3.2.9', benchmark: 'aks-1.8', title: '' })?.topic).toBe('kubelet.rotate-kubelet-server-certificate');
    expect(resolveEntry({ id: '3.2.9', benchmark: 'aks-1.0', title: '' })?.topic).toBe('kubelet.event-qps');
    expect(resolveEntry({ id: '3.2.11', benchmark: 'aks-1.8', title: '' })).toBeNull();
  });

  it('never resolves a legacy check by its id alone', () => {
    // Seed 2.1.9 is keep-terminated-pod-volumes, kube-bench cfg/1.11's 2.1.9 is hostname-override.
    expect(resolveEntry({ id: '2.1.9', benchmark: null, title: '' })).toBeNull();
    expect(resolveEntry({ id: '2.1.9', benchmark: '1.8', title: 'Ensure that the --keep-terminated-pod-volumes argument is set to false' })?.topic).toBe(
      'kubelet.keep-terminated-pod-volumes',
    );
    expect(resolveEntry({ id: '2.1.9', benchmark: '1.11', title: 'Ensure that the --hostname-override argument is not set' })?.topic).toBe('kubelet.hostname-override');
  });

  it('normalises benchmark names', () => {
    expect(resolveEntry({ id: '3.2.4', benchmark: ' AKS-1.8 ', title: '' })?.topic).toBe('kubelet.read-only-port');
  });

  it('lets an exact text win over an id that kube-bench renumbered', () => {
    const r = resolveEntry({ id: '3.2.9', benchmark: 'aks-1.8', title: 'Ensure that the --read-only-port is secured (Automated)' });
    expect(r?.topic).toBe('kubelet.read-only-port');
  });

  it('falls back to text for unknown benchmarks and unknown ids', () => {
    expect(resolveEntry({ id: '9.9.9', benchmark: 'eks-1.7.0', title: 'Ensure that the --anonymous-auth argument is set to false' })?.topic).toBe('kubelet.anonymous-auth');
    expect(resolveEntry({ id: '4.2.99', benchmark: 'cis-1.12', title: 'Verify that if defined, the `--read-only-port` argument is set to 0 (Manual)' })?.topic).toBe(
      'kubelet.read-only-port',
    );
  });

  it('does not borrow a node topic for a known benchmark\'s control plane check with kubelet-like wording', () => {
    expect(resolveEntry({ id: '1.2.25', benchmark: 'cis-1.10', title: 'Ensure that the --client-ca-file argument is set as appropriate' })).toBeNull();
  });

  it('uses keyword rules for wording no edition has, and keeps near topics apart', () => {
    expect(resolveEntry({ id: '1', benchmark: null, title: 'Check that the kubelet read-only-port is closed' })?.topic).toBe('kubelet.read-only-port');
    expect(resolveEntry({ id: '1', benchmark: null, title: 'If a proxy kubeconfig file exists, ensure permissions are set to 600 or more restrictive' })?.topic).toBe(
      'files.proxy-kubeconfig.permissions',
    );
    expect(resolveEntry({ id: '1', benchmark: null, title: 'kubelet kubeconfig file permissions' })?.topic).toBe('files.kubelet-kubeconfig.permissions');
    expect(resolveEntry({ id: '1', benchmark: null, title: 'Something entirely different' })).toBeNull();
    expect(resolveEntry({ id: '1', benchmark: null, title: '' })).toBeNull();
  });

  it('normalises case, backticks, quotes, contractions, owner spacing, suffixes and repeated ids', () => {
    const a = normaliseText("2.2.4 2.2.4 Ensure that the `--kubeconfig` kubelet.conf file ownership isn't set to root: root (Scored)");
    const b = normaliseText('Ensure that the --kubeconfig kubelet.conf file ownership is not set to root:root');
    expect(a).toBe(b);
    expect(normaliseText('Ensure that the `--tls-cert-file`and `--tls-private-key-file` arguments')).toBe('ensure that the --tls-cert-file and --tls-private-key-file arguments');
  });

  it('normalisation is idempotent and ignores case and backticks (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normaliseText(s);
        expect(normaliseText(n)).toBe(n);
        expect(normaliseText(s.toUpperCase())).toBe(normaliseText(s.toLowerCase()));
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('Ensure that the --read-only-port argument is set to 0', 'Minimize access to secrets'), fc.boolean(), (t, tick) => {
        const variant = tick ? t.replace('--read-only-port', '`--read-only-port`') : `${t} (Automated)`;
        expect(resolveEntry({ id: '0', benchmark: null, title: variant })?.topic).toBe(resolveEntry({ id: '0', benchmark: null, title: t })?.topic);
      }),
    );
  });
});

describe('triageCheck', () => {
  it('returns the fields the explain report shows', () => {
    const t = triageCheck({ id: '3.2.4', benchmark: 'aks-1.7', title: '' });
    expect(t).not.toBeNull();
    expect(Object.keys(t ?? {}).sort()).toEqual(['disposition', 'mitigation', 'rationale', 'responsibility', 'sources', 'title', 'topic', 'verify', 'whatToDo'].sort());
    expect(DISPOSITIONS).toContain(t?.disposition);
    expect(t?.sources.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
  });

  it('applies benchmark overrides where the check logic differs', () => {
    // aks-1.8 3.2.2 tests the --anonymous-auth flag; aks-1.7 tests --authorization-mode.
    expect(triageCheck({ id: '3.2.2', benchmark: 'aks-1.8', title: '' })?.disposition).toBe('check-quirk');
    expect(triageCheck({ id: '3.2.2', benchmark: 'aks-1.7', title: '' })?.disposition).toBe('platform');
    // read-only-port: the CIS AKS check needs an explicit 0; the cis editions accept unset.
    expect(triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' })?.disposition).toBe('check-quirk');
    expect(triageCheck({ id: '4.2.4', benchmark: 'cis-1.10', title: '' })?.disposition).toBe('platform');
    // RotateKubeletServerCertificate: quirk where the gate must be explicit, action where only an explicit false fails.
    expect(triageCheck({ id: '3.2.9', benchmark: 'aks-1.8', title: '' })?.disposition).toBe('check-quirk');
    expect(triageCheck({ id: '4.2.12', benchmark: 'cis-1.5', title: '' })?.disposition).toBe('check-quirk');
    expect(triageCheck({ id: '4.2.11', benchmark: 'cis-1.10', title: '' })?.disposition).toBe('action');
    // Unknown benchmark (the seed): the entry's own disposition.
    expect(triageCheck({ id: '2.1.15', benchmark: null, title: 'Ensure that the RotateKubeletServerCertificate argument is set to true' })?.disposition).toBe('check-quirk');
  });

  it('returns null for checks outside the knowledge base', () => {
    expect(triageCheck({ id: '1.1.1', benchmark: 'cis-1.10', title: 'Ensure that the API server pod specification file permissions are set to 600' })).toBeNull();
  });
});
