/** The README's first command, in-process: the whole pipeline on a simulated fleet. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('aks-fleet-scanner demo --once', () => {
  it('scans the simulated fleet through timer, queue, workers and tables, and prints GET /api/summary', async () => {
    const r = await runCli(['demo', '--once', '--format', 'json', '--clusters', '12', '--seed', '5']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.clusters.total).toBe(12);
    expect(s.clusters.scanned + s.clusters.skipped + s.clusters.failed).toBe(12);
    expect(s.clusters.scanned).toBeGreaterThan(6);
    expect(s.checks.pass).toBeGreaterThan(0);
    expect(s.subscriptions.length).toBeGreaterThan(0);
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
