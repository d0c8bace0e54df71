import { describe, expect, it } from 'vitest';
import { scanEnvFromContext } from '../../src/scan/incluster/contract.js';
import { buildRunCommandRequest } from '../../src/scan/incluster/request.js';
import { benchmarkForVersion, planClusterScan } from '../../src/scan/plan.js';
import { cluster } from '../fixtures/clusters.js';

describe('benchmark per Kubernetes version, as kube-bench maps AKS', () => {
  it.each([
    ['1.19.0', 'aks-1.0'],
    ['1.24.9', 'aks-1.0'],
    ['1.25.1', 'aks-1.8'],
    ['1.28.3', 'aks-1.8'],
    ['1.29.0', 'aks-1.7'],
    ['1.31.5', 'aks-1.7'],
    ['1.32.0', 'aks-1.8'],
    ['1.34.1', 'aks-1.8'],
    ['v1.30.2', 'aks-1.7'],
    ['garbage', 'aks-1.8'],
  ])('%s → %s', (v, b) => expect(benchmarkForVersion(v)).toBe(b));
});

describe('scan plan', () => {
  it('per-pool: one command covering each Linux pool with nodes, Windows and empty pools left out', () => {
    const p = planClusterScan(cluster(), 'Run-42', { benchmark: 'auto', selection: 'per-pool' });
    expect(p.benchmark).toBe('aks-1.8');
    expect(p.linuxPools).toEqual(['system', 'user']);
    expect(p.commands).toHaveLength(1);
    expect(p.commands[0]!.scanId).toMatch(/^[0-9a-f]{12}-0$/);
    expect(planClusterScan(cluster(), 'Run-42', { benchmark: 'auto', selection: 'per-pool' }).commands[0]!.scanId).toBe(p.commands[0]!.scanId);
    expect(p.commands[0]).toMatchObject({ selection: 'per-pool', pools: ['system', 'user'], image: 'docker.io/aquasec/kube-bench:v0.15.6' });
  });

  it('all: splits the Linux nodes into commands that stay under the output cap', () => {
    const p = planClusterScan(cluster(), 'r', { benchmark: 'aks-1.7', selection: 'all', nodesPerCommand: 30 });
    expect(p.benchmark).toBe('aks-1.7');
    expect(p.commands.map((c) => [c.batchIndex, c.batchSize])).toEqual([
      [0, 30],
      [1, 30],
    ]);
    expect(new Set(p.commands.map((c) => c.scanId)).size).toBe(2);
  });

  it('round-trips through the run-command context', () => {
    const p = planClusterScan(cluster(), 'r', { benchmark: 'auto', selection: 'per-pool', image: 'myacr.azurecr.io/kube-bench:v0.15.6' });
    const body = buildRunCommandRequest(p.commands[0]!);
    expect(scanEnvFromContext(body.context!)).toEqual(p.commands[0]);
  });
});

describe('per-cluster image and the fixed namespace', () => {
  it('the tag aks-fleet-scanner-image overrides the configured image; a bad tag is a problem, not a silent default', () => {
    const tagged = cluster({ tags: { 'aks-fleet-scanner-image': 'myacr.azurecr.io/aquasec/kube-bench@sha256:' + 'a'.repeat(64) } });
    const p = planClusterScan(tagged, 'r', { benchmark: 'auto', selection: 'per-pool', image: 'other.azurecr.io/kube-bench:v0.15.6' });
    expect(p.commands[0]).toMatchObject({
      image: `myacr.azurecr.io/aquasec/kube-bench@sha256:${'a'.repeat(64)}`,
      namespace: 'aks-fleet-scanner',
      benchmark: 'auto',
    });
    expect(p.imageProblem).toBeUndefined();
    expect(planClusterScan(cluster(), 'r', { benchmark: 'auto', selection: 'per-pool', image: 'other.azurecr.io/kube-bench:v0.15.6' }).commands[0]?.image).toBe(
      'other.azurecr.io/kube-bench:v0.15.6',
    );
    const bad = planClusterScan(cluster({ tags: { 'aks-fleet-scanner-image': 'kube-bench:latest' } }), 'r', { benchmark: 'auto', selection: 'per-pool' });
    expect(bad.imageProblem).toMatch(/aks-fleet-scanner-image="kube-bench:latest" must be an image reference/);
  });
});
