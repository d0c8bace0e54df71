/** The fleet spec: validation errors, the sample file, the demo fleet and the fault fleet. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAIL_REASONS, SKIP_REASONS } from '../../src/model/cluster.js';
import { InputError } from '../../src/model/errors.js';
import { defaultDemoFleet, FAULT_SCENARIOS, faultFleet, nodeName, parseFleetSpec } from '../../src/simulator/index.js';
import { ROOT } from '../fixtures/paths.js';

const SUB = '11111111-1111-4111-8111-111111111111';
const minimal = (cluster: Record<string, unknown> = {}): Record<string, unknown> => ({
  subscriptions: [{ subscriptionId: SUB, displayName: 'S' }],
  clusters: [{ subscriptionId: SUB, resourceGroup: 'rg', name: 'c', kubernetesVersion: '1.33', pools: [{ name: 'system', count: 1 }], ...cluster }],
});

describe('parseFleetSpec', () => {
  it('fills in defaults', () => {
    const f = parseFleetSpec(minimal(), 'x.json');
    const c = f.clusters[0]!;
    expect(c).toMatchObject({
      location: 'eastus',
      powerState: 'Running',
      provisioningState: 'Succeeded',
      private: false,
      runCommandDisabled: false,
      faults: [],
    });
    expect(c.pools[0]).toMatchObject({ osType: 'Linux', mode: 'User', profile: 'aks-default', notReady: 0 });
  });

  it.each([
    [{ kubernetesVersion: 'latest' }, /clusters\.0\.kubernetesVersion: must look like 1\.31/],
    [{ pools: [{ name: 'System_Pool', count: 1 }] }, /clusters\.0\.pools\.0\.name: must be 1-12 lower-case/],
    [{ subscriptionId: '22222222-2222-4222-8222-222222222222' }, /subscription 2222.* is not in "subscriptions"/],
    [{ faults: [{ kind: 'explode' }] }, /clusters\.0\.faults\.0/],
    [{ pools: [] }, /clusters\.0\.pools/],
  ])('names the input and the path of what is wrong: %j', (bad, message) => {
    let err: unknown;
    try {
      parseFleetSpec(minimal(bad), 'fleets/bad.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('fleets/bad.json');
    expect((err as InputError).message).toMatch(/^fleets\/bad\.json: not a valid fleet spec: /);
    expect((err as InputError).message).toMatch(message);
  });

  it('rejects duplicate clusters and pools', () => {
    const json = minimal();
    (json['clusters'] as unknown[]).push((json['clusters'] as unknown[])[0]);
    expect(() => parseFleetSpec(json, 'dup.json')).toThrow(/duplicate cluster rg\/c/);
    expect(() =>
      parseFleetSpec(
        minimal({
          pools: [
            { name: 'a', count: 1 },
            { name: 'a', count: 2 },
          ],
        }),
        'dup.json',
      ),
    ).toThrow(/duplicate pool a/);
  });

  it('examples/fleets/demo.json is a valid fleet', () => {
    const f = parseFleetSpec(JSON.parse(readFileSync(`${ROOT}examples/fleets/demo.json`, 'utf8')), 'examples/fleets/demo.json');
    expect(f.subscriptions.length).toBeGreaterThanOrEqual(3);
    expect(f.clusters.length).toBeGreaterThanOrEqual(10);
  });
});

describe('defaultDemoFleet', () => {
  const f = defaultDemoFleet();
  it('has 3 subscriptions, ~30 clusters on 1.29..1.34 and each special case', () => {
    expect(f.subscriptions).toHaveLength(3);
    expect(f.clusters).toHaveLength(30);
    expect(new Set(f.clusters.map((c) => c.kubernetesVersion.split('.').slice(0, 2).join('.')))).toEqual(
      new Set(['1.29', '1.30', '1.31', '1.32', '1.33', '1.34']),
    );
    expect(f.clusters.some((c) => c.pools.some((p) => p.osType === 'Windows'))).toBe(true);
    expect(f.clusters.filter((c) => c.powerState === 'Stopped')).toHaveLength(1);
    expect(f.clusters.filter((c) => c.runCommandDisabled)).toHaveLength(1);
    expect(f.clusters.filter((c) => c.aad?.managed)).toHaveLength(1);
    expect(f.clusters.filter((c) => c.faults.length > 0).length).toBeGreaterThanOrEqual(2);
  });
  it('is deterministic', () => {
    expect(defaultDemoFleet()).toEqual(f);
    expect(defaultDemoFleet({ clusters: 60 }).clusters).toHaveLength(60);
  });
});

describe('faultFleet', () => {
  const f = faultFleet({ clusters: 200, seed: 3 });
  it("has >= 200 clusters, every scenario, and an expected outcome in the model's reasons for each", () => {
    expect(f.clusters.length).toBeGreaterThanOrEqual(200);
    expect(new Set(f.clusters.map((c) => c.tags['scenario']))).toEqual(new Set(FAULT_SCENARIOS));
    for (const c of f.clusters) {
      expect(c.expect, c.name).toBeDefined();
      const e = c.expect!;
      if (e.kind === 'failed') expect(FAIL_REASONS as readonly string[]).toContain(e.reason);
      if (e.kind === 'skipped') expect(SKIP_REASONS as readonly string[]).toContain(e.reason);
      if (e.kind === 'scanned') expect(e.reason).toBeUndefined();
    }
  });
  it('maps each fault to its reason', () => {
    const reasonOf = (pred: (c: (typeof f.clusters)[number]) => boolean): Set<string | undefined> =>
      new Set(f.clusters.filter(pred).map((c) => c.expect?.reason));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'deleted'))).toEqual(new Set(['not-found']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'forbidden'))).toEqual(new Set(['forbidden']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'garbage-logs'))).toEqual(new Set(['unparseable-output']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'oversize-logs'))).toEqual(new Set(['output-truncated']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'slow'))).toEqual(new Set(['timeout']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'command-failed' && x.reason === 'ImagePullBackoff'))).toEqual(new Set(['image-pull']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'command-failed' && x.reason.includes('gatekeeper')))).toEqual(new Set(['admission-denied']));
    expect(reasonOf((c) => c.faults.some((x) => x.kind === 'not-started' && x.times === undefined))).toEqual(new Set(['command-not-started']));
    expect(reasonOf((c) => c.powerState === 'Stopped')).toEqual(new Set(['stopped']));
    expect(reasonOf((c) => c.pools.every((p) => p.osType === 'Windows'))).toEqual(new Set(['no-linux-pool']));
  });
  it('is reproducible from its seed and differs across seeds', () => {
    expect(faultFleet({ clusters: 200, seed: 3 })).toEqual(f);
    expect(faultFleet({ clusters: 200, seed: 4 }).clusters.map((c) => c.tags['scenario'])).not.toEqual(f.clusters.map((c) => c.tags['scenario']));
  });
});

describe('node names', () => {
  it('follow AKS: aks-<pool>-<8 digits>-vmss<6 base-36 digits>, stable per pool', () => {
    const c = { subscriptionId: SUB, resourceGroup: 'rg', name: 'c' };
    expect(nodeName(c, 'system', 0)).toMatch(/^aks-system-\d{8}-vmss000000$/);
    expect(nodeName(c, 'system', 35)).toMatch(/-vmss00000z$/);
    expect(nodeName(c, 'system', 36)).toMatch(/-vmss000010$/);
    expect(nodeName(c, 'system', 1).slice(0, 20)).toBe(nodeName(c, 'system', 0).slice(0, 20));
    expect(nodeName(c, 'system', 0)).not.toBe(nodeName({ ...c, name: 'd' }, 'system', 0));
  });
});
