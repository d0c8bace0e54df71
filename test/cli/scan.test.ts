import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { ROOT } from '../fixtures/paths.js';
import { runCli } from '../support/cli.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();

interface ScanJson {
  clusters: {
    id: string;
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    kubernetesVersion: string;
    benchmark: string;
    outcome: string;
    reason: string | null;
    nodes: { name: string; pool: string; totals: Record<string, number>; checks: { id: string; status: string; aks: { disposition: string } | null }[] }[];
  }[];
  totals: { clusters: number; scanned: number; skipped: number; failed: number };
  arm: { requests: number; byOperation: Record<string, number>; throttled: number };
}

describe('aks-fleet-scanner scan --simulate', () => {
  it('scans the demo fleet file with the real SDK through the simulator and prints the documented JSON', async () => {
    const r = await runCli(['scan', '--simulate', 'examples/fleets/demo.json', '--format', 'json', '--concurrency', '16']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as ScanJson;
    expect(j.totals.clusters).toBe(j.clusters.length);
    expect(j.totals.scanned + j.totals.skipped + j.totals.failed).toBe(j.totals.clusters);
    // The outcome of every cluster follows from the fleet file: stopped or run-command-disabled
    // clusters are skipped, a persistent fault fails the cluster, a transient one (`times`) is retried.
    const spec = JSON.parse(readFileSync(`${ROOT}examples/fleets/demo.json`, 'utf8')) as {
      clusters: { name: string; powerState: string; runCommandDisabled: boolean; faults: { times?: number }[] }[];
    };
    const expected = (c: (typeof spec.clusters)[number]) =>
      c.powerState === 'Stopped' || c.runCommandDisabled ? 'skipped' : c.faults.some((f) => f.times === undefined) ? 'failed' : 'scanned';
    const outcomes = Object.fromEntries(j.clusters.map((c) => [c.name, c.outcome]));
    expect(outcomes).toEqual(Object.fromEntries(spec.clusters.map((c) => [c.name, expected(c)])));
    expect(new Set(Object.values(outcomes))).toEqual(new Set(['scanned', 'skipped', 'failed']));
    const scanned = j.clusters.filter((c) => c.outcome === 'scanned');
    for (const c of scanned) {
      expect(c.benchmark).toMatch(/^aks-1\.[078]$/);
      expect(c.nodes.length).toBeGreaterThan(0);
      for (const n of c.nodes) for (const ch of n.checks) expect(ch.aks, `${c.name} ${ch.id}`).not.toBeNull();
    }
    for (const c of j.clusters.filter((x) => x.outcome !== 'scanned')) expect(c.reason).toBeTruthy();
    for (const c of j.clusters)
      for (const k of ['id', 'subscriptionId', 'resourceGroup', 'name', 'kubernetesVersion', 'benchmark', 'outcome', 'reason', 'nodes'])
        expect(c).toHaveProperty(k);
    expect(j.arm.byOperation['managedClusters.runCommand']).toBeGreaterThanOrEqual(scanned.length);
    expect(j.arm.requests).toBe(Object.values(j.arm.byOperation).reduce((a, b) => a + b, 0));
  });

  it('--cluster scans just that cluster, and --storage stores the run in Table Storage', async () => {
    const all = JSON.parse((await runCli(['scan', '--simulate', 'examples/fleets/demo.json', '--format', 'json'])).stdout) as ScanJson;
    const target = all.clusters.find((c) => c.outcome === 'scanned')!;
    const r = await runCli(['scan', '--simulate', 'examples/fleets/demo.json', '--cluster', target.id, '--storage', az.instance.connectionString]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 cluster\(s\): 1 scanned/m);
    expect(r.stderr).toMatch(/stored run/);
    expect(r.stderr).not.toContain('AccountKey');
    const store = createStore(az.target());
    const summaries = await store.listClusterSummaries();
    expect(summaries.map((s) => s.clusterId.toLowerCase())).toEqual([target.id.toLowerCase()]);
    expect(summaries[0]!.outcome).toBe('scanned');
  });

  it('refuses a bad --cluster id and a missing fleet file with exit 2', async () => {
    const bad = await runCli(['scan', '--simulate', '--cluster', 'aks-prod']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cluster must be an AKS resource id/);
    const missing = await runCli(['scan', '--simulate', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: does not exist/);
  });
});

describe('scan --storage is checked before scanning', () => {
  it('a bad value exits 2 naming --storage, without echoing it', async () => {
    const r = await runCli(['scan', '--simulate', '--storage', 'AccountName=x;AccountKey=notakey']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^aks-fleet-scanner scan: --storage must be a storage connection string/);
    expect(r.stderr).not.toContain('notakey');
    expect(r.stdout).toBe('');
  });
});
