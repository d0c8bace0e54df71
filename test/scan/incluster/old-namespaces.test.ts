/** aksfs-scan.sh removes the per-scan namespaces earlier versions left behind, and nothing else. */
import { describe, expect, it } from 'vitest';
import { nodeList, runScan, scanEnv } from './harness.js';

const nodes = nodeList([{ name: 'aks-user1-22222222-vmss000001', pool: 'user1' }]);
const old = '2026-01-01T00:00:00Z';
const ns = (name: string, labels: Record<string, string>, created = old): unknown => ({
  kind: 'Namespace',
  metadata: { name, labels, creationTimestamp: created },
});
const managed = { 'app.kubernetes.io/managed-by': 'aks-fleet-scanner', 'aksfs.io/scan': 'abc123-0' };

describe('namespaces of earlier versions', () => {
  it('deletes old aksfs-* namespaces carrying both labels; spares new ones, other names, unlabelled ones and the scan namespace', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'] }), {
      nodes,
      namespaces: [
        ns('aksfs-abc123-0', managed),
        ns('aksfs-def456-1', managed),
        ns('aksfs-fresh-0', managed, new Date().toISOString().replace(/\.\d+Z$/, 'Z')),
        // A timestamp with fractional seconds is read too, not fatal.
        ns('aksfs-fresh-1', managed, new Date().toISOString()),
        ns('team-app', managed),
        ns('aksfs-unlabelled', { 'aksfs.io/scan': 'x' }),
        ns('aks-fleet-scanner', managed),
      ],
    });
    expect(run.code, run.stderr).toBe(0);
    const listed = run.calls.find((c) => c.words[0] === 'get' && c.words[1] === 'namespaces');
    expect(listed?.flags['-l']).toBe('app.kubernetes.io/managed-by=aks-fleet-scanner,aksfs.io/scan');
    const deleted = run.calls.filter((c) => c.words[0] === 'delete' && c.words[1] === 'namespace').map((c) => c.words[2]);
    expect(deleted).toEqual(['aksfs-abc123-0', 'aksfs-def456-1']);
    expect(run.stderr).toContain('deleting namespace aksfs-abc123-0, left by an earlier version of the scanner');
  });

  it('an identity that may not list namespaces (the shipped roles) scans as before, quietly', async () => {
    const run = await runScan(scanEnv({ pools: ['user1'] }), { nodes });
    expect(run.code).toBe(0);
    expect(run.calls.some((c) => c.words[0] === 'delete' && c.words[1] === 'namespace')).toBe(false);
    expect(run.stderr).not.toMatch(/namespace.*forbidden/i);
  });
});
