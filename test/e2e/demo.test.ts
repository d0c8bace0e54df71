/** The README's first command, in-process: the whole pipeline on a simulated fleet. */
import { describe, expect, it } from 'vitest';
import { defaultDemoFleet } from '../../src/simulator/index.js';
import { runCli } from '../support/cli.js';

describe('aks-fleet-scanner demo --once', () => {
  it('scans the simulated fleet through timer, queue, workers and tables, and prints GET /api/summary', async () => {
    const r = await runCli(['demo', '--once', '--format', 'json', '--clusters', '12', '--seed', '5']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.clusters.total).toBe(12);
    expect(s.clusters.scanned + s.clusters.skipped + s.clusters.failed).toBe(12);
    expect(s.clusters.scanned).toBeGreaterThan(6);
    // The demo's fleet is fixed by --clusters and --seed: its subscriptions are known in advance.
    const fleet = defaultDemoFleet({ clusters: 12, seed: 5 });
    const subs = (s.subscriptions as { subscriptionId: string; clusters: number }[]).map((x) => [x.subscriptionId, x.clusters]);
    const bySub = fleet.subscriptions.map((x) => [x.subscriptionId, fleet.clusters.filter((c) => c.subscriptionId === x.subscriptionId).length]);
    expect(Object.fromEntries(subs)).toEqual(Object.fromEntries(bySub.filter(([, n]) => n !== 0)));
    expect(s.checks.pass).toBeGreaterThan(s.checks.fail);
    expect(typeof s.lastScan).toBe('string');
    expect(r.stderr).toMatch(/timer fired: 12 message\(s\)/);
    expect(r.stderr).toMatch(/workers handled 12 message/);
  });

  it('refuses bad options with exit 2', async () => {
    const r = await runCli(['demo', '--clusters', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--clusters must be a whole number/);
  });
});
