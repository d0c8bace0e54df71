/** Waiver files (YAML and JSON), their errors, scopes, expiry, and the shipped default waivers. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import {
  allEntries,
  applyWaivers,
  defaultWaivers,
  effectiveWaivers,
  entryByTopic,
  expiredWaivers,
  loadWaiverConfig,
  loadWaiverFile,
  parseWaiverConfig,
  parseWaivers,
} from '../../src/knowledge/index.js';
import type { Waiver } from '../../src/knowledge/index.js';

const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
const OTHER_SUB = '9b1f6471-1bf0-4dda-aec3-999988887777';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const NOW = new Date('2026-11-26T12:00:00Z');

const readOnlyPort = { id: '3.2.4', benchmark: 'aks-1.8', title: 'Ensure that the --read-only-port is secured' };
const rksc = { id: '3.2.9', benchmark: 'aks-1.8', title: 'Ensure that the RotateKubeletServerCertificate argument is set to true' };
const secrets = { id: '4.1.2', benchmark: 'aks-1.8', title: 'Minimize access to secrets' };

function expectInputError(fn: () => unknown, input: string, problem: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    expect(err.input).toBe(input);
    expect(err.problem).toMatch(problem);
    return;
  }
  throw new Error('expected an InputError');
}

describe('parsing waiver files', () => {
  it('reads YAML with every scope form and unquoted dates', () => {
    const ws = parseWaivers(
      `
waivers:
  - topic: kubelet.read-only-port
    scope: all
    reason: port verified closed on every pool
    owner: platform-team
    expires: 2027-01-31
  - check: "4.1.2"
    benchmark: AKS-1.8
    scope: ${SUB}
    reason: break-glass role reviewed monthly
    owner: secops
    expires: 2027-02-01
  - topic: rbac.cluster-admin
    scope: ${CLUSTER}
    reason: r
    owner: o
    expires: 2027-03-01
  - topic: pods.privileged
    scope: { cluster: ${CLUSTER}, pool: gpu }
    reason: r
    owner: o
    expires: 2027-03-01
  - topic: pods.host-network
    scope: { subscription: ${SUB} }
    reason: r
    owner: o
    expires: 2027-03-01
`,
      'waivers.yaml',
    );
    expect(ws.map((w) => w.scope.kind)).toEqual(['all', 'subscription', 'cluster', 'pool', 'subscription']);
    expect(ws[0]?.expires).toBe('2027-01-31');
    expect(ws[1]).toMatchObject({ topic: null, checkId: '4.1.2', benchmark: 'aks-1.8', source: 'file', id: 'waivers.yaml#2' });
  });

  it('reads JSON, as a bare list too', () => {
    const text = JSON.stringify([{ id: 'W-7', topic: 'kubelet.event-qps', scope: 'all', reason: 'r', owner: 'o', expires: '2027-01-01' }]);
    expect(parseWaivers(text, 'w.json')[0]).toMatchObject({ id: 'W-7', topic: 'kubelet.event-qps' });
  });

  it.each([
    ['a bad date', `- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2027-13-45 }`, /waivers\[0\]\.expires: expires is not a real date/],
    [
      'a day that rolls over (Feb 30)',
      `- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2026-02-30 }`,
      /waivers\[0\]\.expires: expires is not a real date/,
    ],
    [
      'Feb 29 of a common year',
      `- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2027-02-29 }`,
      /waivers\[0\]\.expires: expires is not a real date/,
    ],
    [
      'April 31st',
      `waivers:\n  - { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2027-04-31 }`,
      /waivers\[0\]\.expires: expires is not a real date/,
    ],
    [
      'a check id no benchmark has',
      `- { check: "9.9.9", scope: all, reason: r, owner: o, expires: 2027-01-01 }`,
      /waivers\[0\]\.check: "9\.9\.9" is not a check id/,
    ],
    [
      'a check id its benchmark does not have',
      `- { check: "3.2.11", benchmark: aks-1.8, scope: all, reason: r, owner: o, expires: 2027-01-01 }`,
      /waivers\[0\]\.check: "3\.2\.11" is not a check id of aks-1\.8/,
    ],
    [
      'an unknown benchmark',
      `waivers:\n  - { check: "3.2.4", benchmark: eks-1.7.0, scope: all, reason: r, owner: o, expires: 2027-01-01 }`,
      /waivers\[0\]\.benchmark: "eks-1\.7\.0" is not a benchmark/,
    ],
    ['a date in another format', `- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 31/01/2027 }`, /waivers\[0\]\.expires: .*YYYY-MM-DD/],
    ['a missing owner', `waivers:\n  - { topic: kubelet.event-qps, scope: all, reason: r, expires: 2027-01-01 }`, /waivers\[0\]\.owner/],
    [
      'an unknown topic',
      `- { topic: kubelet.nope, scope: all, reason: r, owner: o, expires: 2027-01-01 }`,
      /waivers\[0\]\.topic: "kubelet\.nope" is not a topic/,
    ],
    [
      'topic and check together',
      `- { topic: kubelet.event-qps, check: "3.2.7", scope: all, reason: r, owner: o, expires: 2027-01-01 }`,
      /exactly one of topic or check/,
    ],
    ['a bad scope', `- { topic: kubelet.event-qps, scope: prod, reason: r, owner: o, expires: 2027-01-01 }`, /waivers\[0\]\.scope/],
    ['an unknown field', `- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2027-01-01, note: x }`, /waivers\[0\]/],
    ['broken YAML', `waivers: [ { topic: `, /neither valid YAML nor JSON/],
    ['an empty file', ``, /is empty/],
    ['an unknown default to disable', `disableDefaults: [kubelet.nope]`, /disableDefaults\[0\]/],
  ])('rejects %s, naming the file and the field', (_name, text, problem) => {
    expectInputError(() => parseWaiverConfig(text, 'ops/waivers.yaml'), 'ops/waivers.yaml', problem);
  });

  it('accepts real dates, a leap day, known ids with and without benchmark, and legacy ids of text input', () => {
    const ws = parseWaivers(
      `
- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2028-02-29 }
- { check: "3.2.11", benchmark: AKS-1.0, scope: all, reason: r, owner: o, expires: 2027-12-31 }
- { check: "4.2.11", scope: all, reason: r, owner: o, expires: 2027-01-01 }
- { check: "2.1.5", scope: all, reason: seed text output, owner: o, expires: 2027-01-01 }
`,
      'w.yaml',
    );
    expect(ws.map((w) => [w.checkId, w.benchmark, w.expires])).toEqual([
      [null, null, '2028-02-29'],
      ['3.2.11', 'aks-1.0', '2027-12-31'],
      ['4.2.11', null, '2027-01-01'],
      ['2.1.5', null, '2027-01-01'],
    ]);
  });

  it('loads from disk and names a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksfs-waivers-'));
    const path = join(dir, 'w.yaml');
    writeFileSync(path, `- { topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2027-01-01 }\n`);
    expect(loadWaiverFile(path)).toHaveLength(1);
    expect(loadWaiverConfig(path).useDefaults).toBe(true);
    expectInputError(() => loadWaiverFile(join(dir, 'missing.yaml')), join(dir, 'missing.yaml'), /no such waiver file/);
  });
});

describe('applyWaivers', () => {
  const waivers = parseWaivers(
    `
- { id: sub, topic: kubelet.read-only-port, scope: ${SUB}, reason: r, owner: o, expires: 2026-12-31 }
- { id: pool, topic: kubelet.rotate-kubelet-server-certificate, scope: { cluster: ${CLUSTER.toLowerCase()}, pool: system }, reason: r, owner: o, expires: 2026-12-31 }
- { id: old, check: "4.1.2", benchmark: aks-1.8, scope: all, reason: r, owner: o, expires: 2026-11-25 }
- { id: today, check: "4.1.2", benchmark: aks-1.8, scope: all, reason: r, owner: o, expires: 2026-11-26 }
`,
    'w.yaml',
  );

  it('matches by topic within the scope, case-insensitively on ids', () => {
    const r = applyWaivers([readOnlyPort, rksc, secrets], waivers, { clusterId: CLUSTER, pool: 'system' }, NOW);
    expect(r.waivedBy.map((w) => w?.id ?? null)).toEqual(['sub', 'pool', 'today']);
  });

  it('leaves checks outside the scope alone', () => {
    const r = applyWaivers([readOnlyPort, rksc], waivers, { subscriptionId: OTHER_SUB, clusterId: CLUSTER.replace(SUB, OTHER_SUB), pool: 'user' }, NOW);
    expect(r.waivedBy).toEqual([null, null]);
    const r2 = applyWaivers([rksc], waivers, { clusterId: CLUSTER, pool: 'user' }, NOW);
    expect(r2.waivedBy).toEqual([null]);
  });

  it('a check-id waiver holds only for its benchmark', () => {
    const r = applyWaivers([{ ...secrets, benchmark: 'aks-1.7' }], waivers, {}, NOW);
    expect(r.waivedBy).toEqual([null]);
  });

  it('holds through its expiry day (UTC) and reports expired waivers that would have applied', () => {
    const r = applyWaivers([secrets], waivers, {}, NOW);
    expect(r.waivedBy[0]?.id).toBe('today');
    expect(r.expired.map((w) => w.id)).toEqual(['old']);
    const next = applyWaivers([secrets], waivers, {}, new Date('2026-11-27T00:00:00Z'));
    expect(next.waivedBy).toEqual([null]);
    expect(next.expired.map((w) => w.id).sort()).toEqual(['old', 'today']);
  });

  it('resolves checks from text-only input (the seed) to their topic', () => {
    const seedLine = { id: '2.1.5', benchmark: null, title: 'Ensure that the --read-only-port argument is set to 0' };
    expect(applyWaivers([seedLine], waivers, { subscriptionId: SUB }, NOW).waivedBy[0]?.id).toBe('sub');
  });
});

describe('default waivers', () => {
  it('exist for exactly the platform and check-quirk entries, each citing its entry', () => {
    const defaults = defaultWaivers();
    const expected = allEntries()
      .filter((e) => e.disposition === 'platform' || e.disposition === 'check-quirk')
      .map((e) => e.topic);
    expect(defaults.map((w) => w.topic).sort()).toEqual([...expected].sort());
    for (const w of defaults) {
      expect(w.source).toBe('default');
      expect(w.scope).toEqual({ kind: 'all' });
      expect(w.reason).toContain(`knowledge entry ${w.topic}`);
      expect(w.expires).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(['platform', 'check-quirk']).toContain(entryByTopic(w.topic ?? '')?.disposition);
    }
  });

  it('waive an AKS-managed check but never an action or environment one', () => {
    const r = applyWaivers([readOnlyPort, secrets], defaultWaivers(), {}, NOW);
    expect(r.waivedBy[0]?.id).toBe('default:kubelet.read-only-port');
    expect(r.waivedBy[1]).toBeNull();
  });

  it("do not hide a check whose benchmark override makes it the customer's", () => {
    // RotateKubeletServerCertificate: a quirk on aks-1.8, but on cis-1.10 only an explicit false fails (action).
    const onAks = { id: '3.2.9', benchmark: 'aks-1.8', title: '' };
    const onCis = { id: '4.2.11', benchmark: 'cis-1.10', title: '' };
    const r = applyWaivers([onAks, onCis], defaultWaivers(), {}, NOW);
    expect(r.waivedBy[0]?.id).toBe('default:kubelet.rotate-kubelet-server-certificate');
    expect(r.waivedBy[1]).toBeNull();
    // An operator's own waiver still applies there.
    const own = parseWaivers(`- { topic: kubelet.rotate-kubelet-server-certificate, scope: all, reason: r, owner: o, expires: 2027-01-01 }`, 'w.yaml');
    expect(applyWaivers([onCis], own, {}, NOW).waivedBy[0]?.source).toBe('file');
  });

  it("never hide a check whose actual value shows a real failure, though an operator's waiver may", () => {
    const open = { ...readOnlyPort, actual: 'root 1 /usr/local/bin/kubelet --read-only-port=10255' };
    const gateOff = { ...rksc, actual: '--feature-gates=RotateKubeletServerCertificate=false' };
    const alwaysAllow = { id: '3.2.2', benchmark: 'aks-1.8', title: '', actual: 'kubelet --anonymous-auth=false --authorization-mode=AlwaysAllow' };
    const unset = { ...readOnlyPort, actual: 'root 1 /usr/local/bin/kubelet --v=2' };
    const r = applyWaivers([open, gateOff, alwaysAllow, unset, { ...readOnlyPort, actual: null }], defaultWaivers(), {}, NOW);
    expect(r.waivedBy.map((w) => w?.id ?? null)).toEqual([null, null, null, 'default:kubelet.read-only-port', 'default:kubelet.read-only-port']);
    const own = parseWaivers(`- { id: mine, topic: kubelet.read-only-port, scope: all, reason: r, owner: o, expires: 2027-01-01 }`, 'w.yaml');
    expect(applyWaivers([open], own, {}, NOW).waivedBy[0]?.id).toBe('mine');
  });

  it('can be turned off, all or some, and the file wins over a default', () => {
    const off = parseWaiverConfig('defaults: false', 'w.yaml');
    expect(effectiveWaivers(off)).toEqual([]);
    const some = parseWaiverConfig('disableDefaults: [kubelet.read-only-port]', 'w.yaml');
    expect(effectiveWaivers(some).some((w) => w.topic === 'kubelet.read-only-port')).toBe(false);
    expect(effectiveWaivers(some).length).toBe(defaultWaivers().length - 1);
    expect(effectiveWaivers(null, false)).toEqual([]);
    const own = parseWaiverConfig(`waivers:\n  - { id: mine, topic: kubelet.read-only-port, scope: all, reason: r, owner: o, expires: 2027-01-01 }`, 'w.yaml');
    const all: Waiver[] = effectiveWaivers(own);
    expect(applyWaivers([readOnlyPort], all, {}, NOW).waivedBy[0]?.id).toBe('mine');
  });
});

describe('expiredWaivers', () => {
  const ws = parseWaivers(
    `
- { id: all-old, topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2026-01-01 }
- { id: all-live, topic: kubelet.event-qps, scope: all, reason: r, owner: o, expires: 2027-01-01 }
- { id: sub-old, topic: pods.privileged, scope: ${SUB}, reason: r, owner: o, expires: 2026-06-30 }
- { id: other-sub-old, topic: pods.privileged, scope: ${OTHER_SUB}, reason: r, owner: o, expires: 2026-06-30 }
- { id: pool-old, topic: pods.host-pid, scope: { cluster: ${CLUSTER}, pool: gpu }, reason: r, owner: o, expires: 2026-11-25 }
- { id: today, check: "4.1.2", scope: all, reason: r, owner: o, expires: 2026-11-26 }
`,
    'w.yaml',
  );

  it('lists every expired waiver in scope, even for topics no check in the output names', () => {
    // applyWaivers only reports expired waivers that would have matched one of its checks.
    expect(applyWaivers([readOnlyPort], ws, { clusterId: CLUSTER }, NOW).expired).toEqual([]);
    expect(expiredWaivers(ws, { clusterId: CLUSTER }, NOW).map((w) => w.id)).toEqual(['all-old', 'sub-old', 'pool-old']);
  });

  it('narrows by subscription, cluster and pool; the empty scope is the whole fleet', () => {
    expect(expiredWaivers(ws, {}, NOW).map((w) => w.id)).toEqual(['all-old', 'sub-old', 'other-sub-old', 'pool-old']);
    expect(expiredWaivers(ws, { subscriptionId: OTHER_SUB }, NOW).map((w) => w.id)).toEqual(['all-old', 'other-sub-old']);
    expect(expiredWaivers(ws, { clusterId: CLUSTER, pool: 'system' }, NOW).map((w) => w.id)).toEqual(['all-old', 'sub-old']);
    expect(expiredWaivers(ws, { clusterId: CLUSTER.toUpperCase(), pool: 'gpu' }, NOW).map((w) => w.id)).toEqual(['all-old', 'sub-old', 'pool-old']);
  });

  it('a waiver still holds on its expiry day and is listed from the next day', () => {
    expect(expiredWaivers(ws, {}, NOW).some((w) => w.id === 'today')).toBe(false);
    expect(expiredWaivers(ws, {}, new Date('2026-11-27T00:00:00Z')).some((w) => w.id === 'today')).toBe(true);
  });
});
