/** The README's first command, in-process: the whole pipeline on a simulated fleet. */
import { describe, expect, it } from 'vitest';
import { driftFleet } from '../../src/cli/demo-drift.js';
import { defaultDemoFleet } from '../../src/simulator/index.js';
import { startReceiver } from '../alert/receiver.js';
import { messageProblems } from '../alert/validate-card.js';
import type { TeamsBody } from '../../src/alert/teams.js';
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

  it('--scans 2: the fleet drifts between two rounds and each round posts one digest, reported under "alerts"', async () => {
    const rx = await startReceiver();
    try {
      const r = await runCli(['demo', '--once', '--format', 'json', '--clusters', '12', '--seed', '5', '--scans', '2', '--webhook', rx.url('/team')]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { alerts: { id: string; channel: string; clusters: number; newFails: number; fixed: number; bytes: number }[] };
      expect(out.alerts).toHaveLength(2);
      const [first, second] = out.alerts;
      // Round 1 is every cluster's first scan: baselines only, nothing "new".
      expect(first).toMatchObject({ channel: 'default', newFails: 0, fixed: 0 });
      expect(first!.clusters).toBeGreaterThan(6);
      // Round 2: two clusters fail anonymous-auth and authorization-mode on each of their pools, one drifted cluster is fixed, one fails to scan.
      expect(second).toMatchObject({ channel: 'default', fixed: 1, clusters: 4 });
      expect(second!.newFails).toBeGreaterThanOrEqual(4);
      expect(Object.keys(first!).sort()).toEqual(expect.arrayContaining(['id', 'channel', 'clusters', 'newFails', 'fixed', 'bytes']));
      expect(rx.posts.map((p) => p.bytes)).toEqual([first!.bytes, second!.bytes]);
      const body = rx.posts[1]!.body as TeamsBody;
      expect(messageProblems(body)).toEqual([]);
      const text = JSON.stringify(body);
      const drift = driftFleet(defaultDemoFleet({ clusters: 12, seed: 5 }));
      for (const name of [...drift.newlyFailing, ...drift.fixed, drift.scanFails]) expect(text).toContain(name);
      expect(text).toContain('Newly failing to scan (1)');
      expect(text).toContain('Waivers expired since the last run (1)');
      expect(text).toContain('demo-event-qps');
      // The cluster that moved from 1.31 (aks-1.7) to 1.32 (aks-1.8) has nothing new to report.
      expect(drift.upgraded).not.toBeNull();
      expect(text).not.toContain(drift.upgraded);
      expect(r.stderr).toMatch(/round 2: Teams digest for default: sent/);
      expect(r.stderr).not.toContain('SECRET-SIGNATURE');
    } finally {
      await rx.close();
    }
  }, 180_000);

  it('refuses bad options with exit 2', async () => {
    const r = await runCli(['demo', '--clusters', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--clusters must be a whole number/);
    expect((await runCli(['demo', '--scans', '3'])).stderr).toMatch(/--scans must be 1 or 2/);
    const plain = await runCli(['demo', '--webhook', 'http://hooks.example.test/x?sig=NOT-SHOWN']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/--webhook.*must be an https URL/);
    expect(plain.stderr).not.toContain('NOT-SHOWN');
  });
});
