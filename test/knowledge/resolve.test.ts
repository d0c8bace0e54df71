/** Resolution rules and triage: id first, text when the id is unknown or contradicted, overrides by benchmark. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DISPOSITIONS, allEntries, entryByTopic, normaliseText, resolveEntry, triageCheck } from '../../src/knowledge/index.js';

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
    expect(resolveEntry({ id: '2.1.9', benchmark: '1.11', title: 'Ensure that the --hostname-override argument is not set' })?.topic).toBe(
      'kubelet.hostname-override',
    );
  });

  it('normalises benchmark names', () => {
    expect(resolveEntry({ id: '3.2.4', benchmark: ' AKS-1.8 ', title: '' })?.topic).toBe('kubelet.read-only-port');
  });

  it('lets an exact text win over an id that kube-bench renumbered', () => {
    const r = resolveEntry({ id: '3.2.9', benchmark: 'aks-1.8', title: 'Ensure that the --read-only-port is secured (Automated)' });
    expect(r?.topic).toBe('kubelet.read-only-port');
  });

  it('falls back to text for unknown benchmarks and unknown ids', () => {
    expect(resolveEntry({ id: '9.9.9', benchmark: 'eks-1.7.0', title: 'Ensure that the --anonymous-auth argument is set to false' })?.topic).toBe(
      'kubelet.anonymous-auth',
    );
    expect(
      resolveEntry({ id: '4.2.99', benchmark: 'cis-1.12', title: 'Verify that if defined, the `--read-only-port` argument is set to 0 (Manual)' })?.topic,
    ).toBe('kubelet.read-only-port');
  });

  it("does not borrow a node topic for a known benchmark's control plane check with kubelet-like wording", () => {
    expect(resolveEntry({ id: '1.2.25', benchmark: 'cis-1.10', title: 'Ensure that the --client-ca-file argument is set as appropriate' })).toBeNull();
  });

  it('uses keyword rules for wording no edition has, and keeps near topics apart', () => {
    expect(resolveEntry({ id: '1', benchmark: null, title: 'Check that the kubelet read-only-port is closed' })?.topic).toBe('kubelet.read-only-port');
    expect(
      resolveEntry({ id: '1', benchmark: null, title: 'If a proxy kubeconfig file exists, ensure permissions are set to 600 or more restrictive' })?.topic,
    ).toBe('files.proxy-kubeconfig.permissions');
    expect(resolveEntry({ id: '1', benchmark: null, title: 'kubelet kubeconfig file permissions' })?.topic).toBe('files.kubelet-kubeconfig.permissions');
    expect(resolveEntry({ id: '1', benchmark: null, title: 'Something entirely different' })).toBeNull();
    expect(resolveEntry({ id: '1', benchmark: null, title: '' })).toBeNull();
  });

  it('normalises case, backticks, quotes, contractions, owner spacing, suffixes and repeated ids', () => {
    const a = normaliseText("2.2.4 2.2.4 Ensure that the `--kubeconfig` kubelet.conf file ownership isn't set to root: root (Scored)");
    const b = normaliseText('Ensure that the --kubeconfig kubelet.conf file ownership is not set to root:root');
    expect(a).toBe(b);
    expect(normaliseText('Ensure that the `--tls-cert-file`and `--tls-private-key-file` arguments')).toBe(
      'ensure that the --tls-cert-file and --tls-private-key-file arguments',
    );
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
    expect(Object.keys(t ?? {}).sort()).toEqual(
      [
        'answers',
        'disposition',
        'escalatedBy',
        'kubernetesVersion',
        'misfire',
        'mitigation',
        'rationale',
        'responsibility',
        'sources',
        'title',
        'topic',
        'verify',
        'versionRule',
        'whatToDo',
        'why',
      ].sort(),
    );
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
    expect(triageCheck({ id: '2.1.15', benchmark: null, title: 'Ensure that the RotateKubeletServerCertificate argument is set to true' })?.disposition).toBe(
      'check-quirk',
    );
  });

  it("carries the entry's threat (why) and the seed's answer, null where the entry has none", () => {
    const t = triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' });
    expect(t?.why).toBe(entryByTopic('kubelet.read-only-port')?.why.trim());
    expect(t?.why).toMatch(/10255/);
    expect(t?.answers).toMatch(/^Seed 2\.1\.5/);
    const anon = entryByTopic('kubelet.anonymous-auth');
    expect(anon?.answers).toBeUndefined();
    const t2 = triageCheck({ id: '3.2.1', benchmark: 'aks-1.8', title: '' });
    expect(t2?.answers).toBeNull();
    expect(t2?.why).toBe(anon?.why.trim());
    expect(allEntries().filter((e) => e.answers !== undefined).length).toBeGreaterThan(0);
  });

  it('returns null for checks outside the knowledge base', () => {
    expect(
      triageCheck({ id: '1.1.1', benchmark: 'cis-1.10', title: 'Ensure that the API server pod specification file permissions are set to 600' }),
    ).toBeNull();
  });
});

/**
 * An AKS kubelet command line as ps shows it on a pool with serving-certificate rotation: the flags the RP
 * sends in Azure/AgentBaker@06836ee2 e2e/node_config.go (L820-L854), minus --tls-cert-file and
 * --tls-private-key-file, which cse_config.sh configureKubeletServing removes when rotation is on.
 */
const AKS_PS =
  'root 4242 1 3 Nov20 ? 01:02:03 /opt/bin/kubelet --address=0.0.0.0 --anonymous-auth=false --authentication-token-webhook=true ' +
  '--authorization-mode=Webhook --client-ca-file=/etc/kubernetes/certs/ca.crt --event-qps=0 --feature-gates=RotateKubeletServerCertificate=true ' +
  '--kubeconfig=/var/lib/kubelet/kubeconfig --pod-max-pids=-1 --protect-kernel-defaults=true --read-only-port=0 --rotate-certificates=true ' +
  '--rotate-server-certificates=true --streaming-connection-idle-timeout=4h ' +
  '--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,' +
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256';

/** The same pool without serving-certificate rotation (opted out, or not reimaged since): the static self-signed certificate. */
const AKS_PS_NO_ROTATION = AKS_PS.replace(
  '--rotate-server-certificates=true',
  '--rotate-server-certificates=false --tls-cert-file=/etc/kubernetes/certs/kubeletserver.crt',
);

describe('escalation by the value kube-bench read', () => {
  const t = (id: string, benchmark: string | null, actual: string | null, title = ''): ReturnType<typeof triageCheck> =>
    triageCheck({ id, benchmark, title, actual });

  it.each([
    ['read-only port 10255 on the command line', '3.2.4', 'aks-1.8', 'root 1 /usr/local/bin/kubelet --read-only-port=10255 --v=2'],
    ['readOnlyPort 10255 in the config file', '3.2.4', 'aks-1.8', '{\n  "readOnlyPort": 10255,\n  "port": 10250\n}'],
    ['readOnlyPort in YAML config', '4.2.4', 'cis-1.10', 'readOnlyPort: 10255'],
    ['the gate explicitly off', '3.2.9', 'aks-1.8', '--feature-gates=CSIMigration=true,RotateKubeletServerCertificate=false'],
    ['the gate off in featureGates', '3.2.11', 'aks-1.0', '"featureGates": { "RotateKubeletServerCertificate": false }'],
    ['AlwaysAllow seen by aks-1.8 3.2.2', '3.2.2', 'aks-1.8', 'kubelet --anonymous-auth=false --authorization-mode=AlwaysAllow'],
    ['AlwaysAllow in the config', '4.2.2', 'cis-1.10', '"authorization": { "mode": "AlwaysAllow" }'],
    ['anonymous auth on', '3.2.1', 'aks-1.8', 'kubelet --anonymous-auth=true'],
    ['anonymous auth on in the config', '3.2.1', 'aks-1.7', '"authentication": { "anonymous": { "enabled": true } }'],
    ['idle timeout 0', '3.2.5', 'aks-1.8', 'kubelet --streaming-connection-idle-timeout=0'],
    ['idle timeout 0s in the config', '4.2.5', 'cis-1.10', '"streamingConnectionIdleTimeout": "0s",'],
    ['iptables chains off', '3.2.6', 'aks-1.8', 'kubelet --make-iptables-util-chains=false'],
    ['protect-kernel-defaults off', '3.2.6', 'aks-1.0', 'kubelet --protect-kernel-defaults=false'],
    ['client certificate rotation off', '3.2.8', 'aks-1.8', '"rotateCertificates": false'],
    ['hostname overridden', '3.2.8', 'aks-1.0', 'kubelet --hostname-override=evil'],
    ['a CBC cipher suite', '4.2.12', 'cis-1.10', 'kubelet --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA'],
    ['a group-writable kubeconfig', '3.1.1', 'aks-1.8', 'permissions=664'],
    ['a world-writable unit file', '4.1.1', 'cis-1.10', 'permissions=777'],
  ])('%s is a real failure (action), not a platform item or quirk', (_name, id, bench, actual) => {
    const plain = t(id, bench, null);
    expect(['platform', 'check-quirk']).toContain(plain?.disposition);
    const r = t(id, bench, actual);
    expect(r?.topic).toBe(plain?.topic);
    expect(r?.disposition).toBe('action');
    expect(['customer', 'shared']).toContain(r?.responsibility);
    expect(r?.escalatedBy).toBeTruthy();
    expect(r?.whatToDo).not.toBe(plain?.whatToDo);
  });

  it("an explicit non-zero event rate is the operator's call, not the unset-value quirk", () => {
    expect(t('3.2.7', 'aks-1.8', null)?.disposition).toBe('check-quirk');
    expect(t('3.2.7', 'aks-1.8', 'root 1 /usr/local/bin/kubelet --v=2')?.disposition).toBe('check-quirk');
    expect(t('3.2.7', 'aks-1.8', 'kubelet --event-qps=50')?.disposition).toBe('environment');
    expect(t('3.2.9', 'aks-1.0', '"eventRecordQPS": 5')?.disposition).toBe('environment');
    expect(entryByTopic('kubelet.event-qps')?.uncertain).toMatch(/--event-qps=0/);
  });

  it('values that are not failures do not escalate', () => {
    expect(t('3.2.4', 'aks-1.8', 'kubelet --read-only-port=0')?.disposition).toBe('check-quirk');
    expect(t('3.2.4', 'aks-1.8', '"readOnlyPort": 0')?.disposition).toBe('check-quirk');
    expect(t('3.2.5', 'aks-1.8', 'kubelet --streaming-connection-idle-timeout=4h0m0s')?.disposition).toBe('platform');
    expect(t('3.2.5', 'aks-1.8', 'kubelet --streaming-connection-idle-timeout=10m')?.disposition).toBe('platform');
    expect(t('3.2.9', 'aks-1.8', '--feature-gates=RotateKubeletServerCertificate=true')?.disposition).toBe('check-quirk');
    expect(t('3.1.1', 'aks-1.8', 'permissions=644')?.disposition).toBe('platform');
    expect(t('3.1.1', 'aks-1.8', 'permissions=600')?.disposition).toBe('platform');
    expect(t('3.1.1', 'aks-1.8', 'permissions=640')?.disposition).toBe('platform');
  });

  it("AKS's own kubelet flags trigger no escalation in any worker node check", () => {
    const ids: [string, string][] = [];
    for (const bench of ['aks-1.0', 'aks-1.7', 'aks-1.8', 'cis-1.10', 'cis-1.24']) {
      for (let i = 1; i <= 15; i++) ids.push([bench, `${bench.startsWith('aks') ? 3 : 4}.2.${i}`]);
    }
    const escalated = ids.filter(([b, id]) => t(id, b, AKS_PS)?.escalatedBy);
    expect(escalated).toEqual([]);
    // The same line does escalate once a value is changed.
    expect(t('3.2.4', 'aks-1.8', AKS_PS.replace('--read-only-port=0', '--read-only-port=10255'))?.disposition).toBe('action');
  });

  it('a pool whose kubelet serves the static self-signed certificate is a real rotation finding, not the gate quirk', () => {
    for (const [b, id] of [
      ['aks-1.8', '3.2.9'],
      ['aks-1.7', '3.2.9'],
      ['aks-1.0', '3.2.11'],
    ] as const) {
      expect(t(id, b, AKS_PS)?.disposition).toBe('check-quirk');
      const r = t(id, b, AKS_PS_NO_ROTATION);
      expect(r?.disposition).toBe('action');
      expect(r?.whatToDo).toMatch(/opt-out tag/);
    }
    // Only the rotation topic reads it so: the other kubelet checks stay as they were.
    const others = ['3.2.1', '3.2.2', '3.2.3', '3.2.4', '3.2.5', '3.2.6', '3.2.7', '3.2.8'].filter((id) => t(id, 'aks-1.8', AKS_PS_NO_ROTATION)?.escalatedBy);
    expect(others).toEqual([]);
  });

  it('no actual value (text input, or kube-bench printed none) never escalates', () => {
    const seedLine = 'Ensure that the --read-only-port argument is set to 0';
    expect(t('2.1.5', null, null, seedLine)?.disposition).toBe('platform');
    expect(t('2.1.5', null, '   ', seedLine)?.disposition).toBe('platform');
    expect(triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' })?.escalatedBy).toBeNull();
  });
});

describe('text-only checks with a known node type', () => {
  const master = (id: string, title: string): ReturnType<typeof resolveEntry> => resolveEntry({ id, benchmark: null, title, nodeType: 'master' });
  const apiAnon = 'Ensure that the --anonymous-auth argument is set to false';
  const apiClientCa = 'Ensure that the --client-ca-file argument is set as appropriate';
  const cmRotate = 'Ensure that the RotateKubeletServerCertificate argument is set to true';

  it('do not match control plane (master) checks to kubelet entries', () => {
    expect(master('1.2.1', apiAnon)).toBeNull();
    expect(master('1.2.29', apiClientCa)).toBeNull();
    expect(master('1.3.6', cmRotate)).toBeNull();
    expect(triageCheck({ id: '1.2.1', benchmark: null, title: apiAnon, nodeType: 'master' })).toBeNull();
    expect(
      resolveEntry({ id: '2.1', benchmark: null, title: 'Ensure that the --cert-file and --key-file arguments are set as appropriate', nodeType: 'etcd' }),
    ).toBeNull();
  });

  it('keep matching node checks under a node header, and every check with no node type as before', () => {
    expect(resolveEntry({ id: '2.1.2', benchmark: null, title: apiAnon, nodeType: 'node' })?.topic).toBe('kubelet.anonymous-auth');
    expect(resolveEntry({ id: '2.1.2', benchmark: null, title: apiAnon, nodeType: null })?.topic).toBe('kubelet.anonymous-auth');
    expect(resolveEntry({ id: '2.1.2', benchmark: null, title: apiAnon })?.topic).toBe('kubelet.anonymous-auth');
    expect(resolveEntry({ id: '1', benchmark: null, title: 'Check that the kubelet read-only-port is closed', nodeType: 'node' })?.topic).toBe(
      'kubelet.read-only-port',
    );
  });

  it('restrict matching to the areas of the node type', () => {
    expect(resolveEntry({ id: '4.1.2', benchmark: null, title: 'Minimize access to secrets', nodeType: 'policies' })?.topic).toBe('rbac.secrets-access');
    expect(resolveEntry({ id: '4.1.2', benchmark: null, title: 'Minimize access to secrets', nodeType: 'node' })).toBeNull();
    expect(resolveEntry({ id: '3.2.4', benchmark: null, title: 'Ensure that the --read-only-port is secured', nodeType: 'managedservices' })).toBeNull();
    expect(resolveEntry({ id: '2.1.1', benchmark: null, title: 'Enable audit Logs', nodeType: 'controlplane' })?.area).toBe('controlplane');
  });

  it('leave a known benchmark to its id and sections', () => {
    expect(resolveEntry({ id: '3.2.1', benchmark: 'aks-1.8', title: apiAnon, nodeType: 'master' })?.topic).toBe('kubelet.anonymous-auth');
  });
});
