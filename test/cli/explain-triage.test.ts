import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const SEED = 'examples/seed-aks-node.txt';
const tmp = mkdtempSync(join(tmpdir(), 'aksfs-triage-'));
const write = (name: string, body: string) => {
  const p = join(tmp, name);
  writeFileSync(p, body);
  return p;
};

interface Check {
  id: string;
  status: string;
  aks: { topic: string; disposition: string; responsibility: string; rationale: string; mitigation: string; verify: string; sources: string[] } | null;
  waiver: { id: string; source: string } | null;
}

describe('explain triages every FAIL and WARN with the knowledge base', () => {
  it('--format json: each check carries "aks", and "triage" counts the non-passing ones by disposition', async () => {
    const r = await runCli(['explain', SEED, '--format', 'json']);
    const j = JSON.parse(r.stdout) as { checks: Check[]; triage: Record<string, number> };
    const open = j.checks.filter((c) => c.status === 'FAIL' || c.status === 'WARN');
    expect(open).toHaveLength(16);
    for (const c of open) {
      expect(c.aks, c.id).not.toBeNull();
      for (const k of ['topic', 'disposition', 'responsibility', 'rationale', 'mitigation', 'verify'] as const) expect(typeof c.aks![k]).toBe('string');
      expect(c.aks!.sources.length).toBeGreaterThan(0);
    }
    expect(Object.keys(j.triage).sort()).toEqual(['action', 'check-quirk', 'environment', 'equivalent-control', 'obsolete', 'platform', 'unknown']);
    const counted = Object.values(j.triage).reduce((a, b) => a + b, 0);
    expect(counted).toBe(16);
    const byDisposition = (d: string) => open.filter((c) => c.aks?.disposition === d).length;
    for (const d of ['platform', 'check-quirk', 'obsolete', 'action', 'environment']) expect(j.triage[d]).toBe(byDisposition(d));
    // The seed's PodSecurityPolicy-era advice is replaced: --allow-privileged is obsolete.
    expect(open.find((c) => c.id === '2.1.1')!.aks!.disposition).toBe('obsolete');
  });

  it('text: every FAIL and WARN shows its disposition and what to do, and the summary says how many are yours', async () => {
    const r = await runCli(['explain', SEED]);
    const failLines = r.stdout.split('\n').filter((l) => /^\s+\[(FAIL|WARN)\]/.test(l));
    expect(failLines).toHaveLength(16);
    for (const l of failLines) {
      const next = r.stdout.split('\n')[r.stdout.split('\n').indexOf(l) + 1]!;
      expect(next).toMatch(/^\s+(action|platform|equivalent-control|check-quirk|environment|obsolete): \S/);
    }
    // The seed is a 1.10 node: five of its FAILs were real there, and the summary ends with the one action.
    expect(r.stdout).toContain('5 of 14 FAILs are yours to fix or decide;');
    expect(r.stdout).toMatch(/Replaced by a control you own .*: 2\.1\.1$/m);
    expect(r.stdout).toMatch(/^ {2}Legacy output: Upgrade the cluster and its node pools/m);
    // For a current node none of them needs a change by its operator.
    const current = await runCli(['explain', SEED, '--kubernetes-version', '1.31']);
    expect(current.stdout).toContain('0 of 14 FAILs are yours to fix or decide;');
  });

  it('a check the knowledge base does not know gets "aks": null and counts as unknown', async () => {
    const f = write('odd.txt', '[FAIL] 9.9.9 Ensure that the flux capacitor is calibrated (Automated)\n');
    const j = JSON.parse((await runCli(['explain', f, '--format', 'json'])).stdout) as { checks: Check[]; triage: Record<string, number> };
    expect(j.checks[0]!.aks).toBeNull();
    expect(j.triage['unknown']).toBe(1);
    // The headline must not pass an unknown FAIL off as someone else's.
    const text = (await runCli(['explain', f])).stdout;
    expect(text).toContain('0 of 1 FAIL is yours to fix or decide; 1 is not in the knowledge base, so review it yourself;');
  });

  it('default waivers mark platform and check-quirk FAILs, cite their entry, and can be turned off', async () => {
    const on = JSON.parse((await runCli(['explain', SEED, '--format', 'json'])).stdout) as { checks: Check[] };
    const waived = on.checks.filter((c) => c.waiver);
    expect(waived.length).toBeGreaterThan(0);
    for (const c of waived) {
      expect(['platform', 'check-quirk']).toContain(c.aks!.disposition);
      expect(c.waiver!.source).toBe('default');
      expect(c.waiver!.id).toContain(c.aks!.topic);
    }
    const off = JSON.parse((await runCli(['explain', SEED, '--format', 'json', '--no-default-waivers'])).stdout) as { checks: Check[] };
    expect(off.checks.filter((c) => c.waiver)).toEqual([]);
  });

  it('--waivers FILE applies an operator waiver and lists expired ones', async () => {
    const file = write(
      'waivers.yaml',
      [
        'waivers:',
        '  - topic: kubelet.allow-privileged',
        '    scope: all',
        '    reason: Privileged pods are blocked by Azure Policy (SEC-1)',
        '    owner: platform-team@example.com',
        '    expires: 2099-01-01',
        '  - topic: kubelet.rotate-kubelet-client-certificate',
        '    scope: all',
        '    reason: reviewed last year',
        '    owner: platform-team@example.com',
        '    expires: 2020-01-01',
      ].join('\n'),
    );
    const r = await runCli(['explain', SEED, '--format', 'json', '--waivers', file, '--no-default-waivers']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { checks: Check[]; waivers: { applied: number; expired: { id: string }[] } };
    expect(j.checks.find((c) => c.id === '2.1.1')!.waiver).toMatchObject({ source: 'file' });
    expect(j.checks.find((c) => c.id === '2.1.14')!.waiver).toBeNull();
    expect(j.waivers.applied).toBe(1);
    expect(j.waivers.expired).toHaveLength(1);
  });

  it('a bad waiver file is refused with a message naming the file and the field', async () => {
    const file = write('bad.yaml', 'waivers:\n  - topic: kubelet.allow-privileged\n    scope: all\n    reason: x\n    owner: me\n    expires: someday\n');
    const r = await runCli(['explain', SEED, '--waivers', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml');
    expect(r.stderr).toMatch(/expires/);
  });

  it('--format markdown separates what is yours from what is not, with sources', async () => {
    const md = (await runCli(['explain', SEED, '--format', 'markdown'])).stdout;
    expect(md).toContain('## Not yours to fix');
    expect(md).toContain('**Why this disposition:**');
    expect(md).toContain('**Sources:**');
    expect(md).toContain('**Verify:**');
  });
});

describe('aks-fleet-scanner checks lists the knowledge base for review', () => {
  it('for one benchmark, with the id each topic has there', async () => {
    const r = await runCli(['checks', '--benchmark', 'aks-1.8', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { entries: { topic: string; ids: string[] }[] };
    const rotate = j.entries.find((e) => e.topic === 'kubelet.rotate-kubelet-server-certificate');
    expect(rotate?.ids).toEqual(['3.2.9']);
    expect(j.entries.every((e) => e.ids.length > 0)).toBe(true);
  });

  it('csv and markdown, and a clear error for an unknown benchmark', async () => {
    expect((await runCli(['checks', '--format', 'csv'])).stdout.split('\r\n')[0]).toBe('topic,ids,title,disposition,responsibility,what_to_do');
    expect((await runCli(['checks', '--format', 'markdown'])).stdout).toMatch(/^# AKS knowledge base/);
    const bad = await runCli(['checks', '--benchmark', 'eks-1.0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--benchmark eks-1.0 is not in the knowledge base/);
  });
});

describe('explain of a legacy output, and the Kubernetes version', () => {
  interface Report {
    source: { kubernetesVersion?: { version: string; from: string; raw: string; note: string | null } };
    legacy?: { headline: string; reasons: string[]; realFails: { id: string }[]; action: string };
    checks: { id: string; aks: { disposition: string; misfire?: string | null } | null; waiver: unknown }[];
  }
  const json = async (args: string[]) => JSON.parse((await runCli(['explain', SEED, '--format', 'json', ...args])).stdout) as Report;

  it('the seed opens with the legacy headline in text and markdown, reading "10.3" as 1.10.3', async () => {
    const text = (await runCli(['explain', SEED])).stdout.split('\n');
    expect(text[2]).toBe('Legacy output: the node ran Kubernetes 1.10.3, which AKS no longer supports.');
    expect(text.join('\n')).toMatch(/"10\.3" is not a Kubernetes version/);
    const md = (await runCli(['explain', SEED, '--format', 'markdown'])).stdout;
    expect(md.indexOf('> **Legacy output:')).toBeLessThan(md.indexOf('## Summary'));
  });

  it('JSON: the headline, the real FAILs on 1.10 and the action; --kubernetes-version overrides the input', async () => {
    const old = await json([]);
    expect(old.source.kubernetesVersion).toMatchObject({ version: '1.10.3', from: 'prose', raw: 'Kubernetes 10.3' });
    expect(old.legacy?.realFails.map((f) => f.id)).toEqual(['2.1.5', '2.1.7', '2.1.12', '2.1.14', '2.1.15']);
    expect(old.legacy?.action).toMatch(/^Upgrade the cluster .* then scan again with the current benchmark/);
    const byId = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;
    expect(byId(old, '2.1.5').waiver).toBeNull();
    expect(byId(old, '2.1.6').aks?.misfire).toMatch(/flag was absent/);
    const now = await json(['--kubernetes-version', '1.31']);
    expect(now.source.kubernetesVersion).toMatchObject({ version: '1.31', from: 'option' });
    expect(now.legacy?.realFails).toEqual([]);
    expect(now.legacy?.headline).toMatch(/pre-AKS benchmark numbering/);
    for (const id of ['2.1.5', '2.1.6', '2.1.7', '2.1.8', '2.1.12', '2.1.15']) expect(['platform', 'check-quirk']).toContain(byId(now, id).aks?.disposition);
    expect(byId(now, '2.1.5').waiver).not.toBeNull();
  });

  it('a bad --kubernetes-version is a usage error (exit 2, one line)', async () => {
    const r = await runCli(['explain', SEED, '--kubernetes-version', '10.3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--kubernetes-version must be a Kubernetes version/);
  });
});
