/**
 * Verdicts that know the Kubernetes version: a FAIL on a version where AKS did not yet set the value is
 * the customer's (upgrade), and a shipped default waiver never silences it. Also the legacy headline and
 * the version read from the input.
 */
import { describe, expect, it } from 'vitest';
import { applyWaivers, defaultWaivers, legacyFinding, triageCheck } from '../../src/knowledge/index.js';
import { interpretVersion, readVersionFromText, readVersionOption } from '../../src/parse/version.js';
import { nodeVersionOf } from '../../src/pipeline/classify.js';
import { parseKubeBenchOutput } from '../../src/parse/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const seed = readFileSync(join(ROOT, 'examples/seed-aks-node.txt'), 'utf8');

describe('version-aware verdicts', () => {
  const t = (id: string, benchmark: string | null, title: string, kubernetesVersion: string | null) =>
    triageCheck({ id, benchmark, title }, { kubernetesVersion });

  it.each([
    ['read-only port', '2.1.5', 'Ensure that the --read-only-port argument is set to 0'],
    ['protect-kernel-defaults', '2.1.7', 'Ensure that the --protect-kernel-defaults argument is set to true'],
    ['tls-cert-file', '2.1.12', 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate'],
    ['server certificate rotation', '2.1.15', 'Ensure that the RotateKubeletServerCertificate argument is set to true'],
  ])('%s: a real FAIL on a 1.10 node (upgrade), not yours on a current one', (_n, id, title) => {
    const old = t(id, null, title, '1.10.3');
    expect(old?.disposition).toBe('action');
    expect(old?.whatToDo).toMatch(/upgrade/i);
    expect(old?.versionRule).toMatch(/^below 1\.\d+/);
    const now = t(id, null, title, '1.31');
    expect(['platform', 'check-quirk']).toContain(now?.disposition);
    expect(now?.versionRule).toBeNull();
  });

  it('2.1.6 and 2.1.8 misfired on the 1.10 node too: the flag was absent, the default applied', () => {
    const s = t('2.1.6', null, 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0', '1.10.3');
    expect(s?.disposition).toBe('platform');
    expect(s?.misfire).toMatch(/flag was absent and the kubelet default 4h applied; it does not mean the timeout was 0/);
    const i = t('2.1.8', null, 'Ensure that the --make-iptables-util-chains argument is set to true', '1.10.3');
    expect(i?.misfire).toMatch(/flag was absent, not that it was false/);
  });

  it("a legacy edition's misfire is told only for the legacy check, not for the same topic in a current benchmark", () => {
    const legacy = triageCheck({ id: '2.2.3', benchmark: null, title: 'Ensure that the kubelet service file permissions are set to 644 or more restrictive' });
    expect(legacy?.misfire).toMatch(/kubeadm path/);
    expect(triageCheck({ id: '4.1.1', benchmark: 'cis-1.10', title: '' })?.misfire).toBeNull();
    expect(triageCheck({ id: '3.2.4', benchmark: 'aks-1.8', title: '' })?.misfire).toMatch(/azure\.json/);
  });

  it('streaming idle timeout from 1.34: AKS no longer writes it, containerd stream_idle_timeout applies', () => {
    const r = t('3.2.5', 'aks-1.8', '', '1.34.1');
    expect(r?.versionRule).toBe('1.34 and later');
    expect(r?.rationale).toMatch(/stream_idle_timeout/);
    expect(t('3.2.5', 'aks-1.8', '', '1.33')?.versionRule).toBeNull();
  });

  it('serving-certificate rotation below 1.27 is real on aks-1.x, whatever the gate', () => {
    expect(t('3.2.9', 'aks-1.8', '', '1.26.6')?.disposition).toBe('action');
    expect(t('3.2.9', 'aks-1.8', '', '1.27.0')?.disposition).toBe('check-quirk');
    expect(t('3.2.9', 'aks-1.8', '', null)?.disposition).toBe('check-quirk');
  });

  it('a shipped default waiver never silences a FAIL on a version where AKS did not set the value', () => {
    const defaults = defaultWaivers();
    const check = { id: '3.2.9', benchmark: 'aks-1.8', title: '' };
    const waivedOn = (v: string | null) => applyWaivers([check], defaults, {}, NOW, { kubernetesVersion: v }).waivedBy[0];
    expect(waivedOn('1.31')?.id).toBe('default:kubelet.rotate-kubelet-server-certificate');
    expect(waivedOn('1.26')).toBeNull();
    const rop = { id: '3.2.4', benchmark: 'aks-1.8', title: '' };
    expect(applyWaivers([rop], defaults, {}, NOW, { kubernetesVersion: '1.18.4' }).waivedBy[0]).toBeNull();
    expect(applyWaivers([rop], defaults, {}, NOW, { kubernetesVersion: '1.30' }).waivedBy[0]).not.toBeNull();
  });

  it("scan judges a cluster by its node pools' version, the oldest Linux pool when they differ", () => {
    const pool = (name: string, v: string | null, osType: 'Linux' | 'Windows' = 'Linux') => ({
      name,
      osType,
      mode: 'User' as const,
      count: 1,
      nodeImageVersion: null,
      orchestratorVersion: v,
    });
    expect(nodeVersionOf({ kubernetesVersion: '1.31.2', pools: [pool('a', '1.31.2'), pool('b', '1.26.10')] })).toBe('1.26.10');
    expect(nodeVersionOf({ kubernetesVersion: '1.31.2', pools: [pool('a', null), pool('w', '1.20.0', 'Windows')] })).toBe('1.31.2');
    expect(nodeVersionOf({ kubernetesVersion: 'garbage', pools: [] })).toBeNull();
  });
});

describe('legacy outputs', () => {
  const checks = parseKubeBenchOutput(seed, 'seed').nodes[0]!.checks;

  it('the seed is legacy by its numbering, and unsupported at 1.10.3', () => {
    const f = legacyFinding(checks, '1.10.3');
    expect(f?.legacyIds).toContain('2.1.5');
    expect(f?.unsupportedVersion?.version).toBe('1.10.3');
    expect(legacyFinding(checks, '1.31')?.unsupportedVersion).toBeNull();
    expect(legacyFinding(checks, null)?.legacyIds.length).toBe(checks.length);
  });

  it('a current aks-1.8 output is not legacy unless its version is unsupported', () => {
    const current = [{ id: '3.2.4', benchmark: 'aks-1.8', title: 'Ensure that the --read-only-port is secured' }];
    expect(legacyFinding(current, '1.31')).toBeNull();
    expect(legacyFinding(current, null)).toBeNull();
    expect(legacyFinding(current, '1.24.9')?.unsupportedVersion?.oldestSupported).toMatch(/^1\.\d+$/);
  });
});

describe('the Kubernetes version read from the input', () => {
  it('the seed says "Kubernetes 10.3": read as 1.10.3, and says so', () => {
    const v = readVersionFromText(seed);
    expect(v).toMatchObject({ version: '1.10.3', from: 'prose', raw: 'Kubernetes 10.3' });
    expect(v?.note).toMatch(/not a Kubernetes version.*1\.10\.3/);
  });

  it("kube-bench's own log line wins over prose; an assumed default is never read", () => {
    const log = 'notes for AKS 1.29\nI0610 12:00:00.000000 1 common.go:351] Kubernetes version: "1.30" to Benchmark version: "cis-1.9"\n';
    expect(readVersionFromText(log)).toMatchObject({ version: '1.30', from: 'log' });
    const assumed = 'Warning: Kubernetes version was not auto-detected ... Assuming default version 1.18\n';
    expect(readVersionFromText(assumed)).toBeNull();
    expect(readVersionFromText('Cluster on Kubernetes v1.29.4, pasted below:\n[FAIL] 3.2.4 x')).toMatchObject({ version: '1.29.4', from: 'prose' });
    // Check lines are not prose, even when they name a version.
    expect(readVersionFromText('[FAIL] 3.2.4 Ensure Kubernetes 1.5 thing')).toBeNull();
  });

  it('interprets versions and the option strictly', () => {
    expect(interpretVersion('1.27')).toEqual({ version: '1.27', note: null });
    expect(interpretVersion('none')).toBeNull();
    expect(readVersionOption('v1.31.2')?.version).toBe('1.31.2');
    expect(readVersionOption('10.3')).toBeNull();
  });
});
