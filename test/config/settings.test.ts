import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanLimits } from '../../src/cli/scan.js';
import { schedulePeriodMs } from '../../src/config/schedule.js';
import { readSettings, SETTING_NAMES, SettingsError } from '../../src/config/settings.js';
import { ROOT } from '../fixtures/paths.js';
import { cluster as clusterRef } from '../fixtures/clusters.js';
import { planClusterScan } from '../../src/scan/plan.js';
import { scanOptionsFrom } from '../../src/runtime/runtime.js';

describe('settings', () => {
  it('defaults: a daily 02:00 UTC scan, 90 days of history, one node per pool, the benchmark from the version', () => {
    const s = readSettings({});
    expect(s).toMatchObject({
      SCAN_SCHEDULE: '0 0 2 * * *',
      RETENTION_DAYS: 90,
      SCAN_NODES: 'per-pool',
      SCAN_BENCHMARK: 'auto',
      SCAN_SUBSCRIPTIONS: [],
      SCAN_CLUSTER_DEADLINE_SECONDS: 600,
      SCAN_CONCURRENCY: 16,
      SCAN_PER_SUBSCRIPTION: 8,
    });
    expect(s.TEAMS_WEBHOOK_URL).toBeUndefined();
  });

  it('SCAN_NAMESPACE (default aks-fleet-scanner) is the namespace every planned command names', () => {
    const planned = (env: NodeJS.ProcessEnv): string[] =>
      planClusterScan(clusterRef(), 'seed', scanOptionsFrom(readSettings(env))).commands.map((c) => c.namespace);
    expect(planned({})).toEqual(['aks-fleet-scanner']);
    expect(planned({ SCAN_NAMESPACE: ' sec-scans ' })).toEqual(['sec-scans']);
  });

  it('lists are split on commas and trimmed', () => {
    expect(readSettings({ SCAN_SUBSCRIPTIONS: ' a , b,, c ' }).SCAN_SUBSCRIPTIONS).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['RETENTION_DAYS', 'ninety', /RETENTION_DAYS must be a whole number/],
    ['RETENTION_DAYS', '0', /RETENTION_DAYS must be a whole number from 1/],
    ['SCAN_SCHEDULE', '0 2 * * *', /SCAN_SCHEDULE must be an NCRONTAB expression with six fields/],
    ['SCAN_NODES', 'some', /SCAN_NODES/],
    ['SCAN_BENCHMARK', 'cis-1.10', /SCAN_BENCHMARK/],
    ['KUBE_BENCH_IMAGE', 'aquasec/kube-bench', /KUBE_BENCH_IMAGE must be an image reference pinned by tag or digest/],
    ['ARM_ENDPOINT', 'http://127.0.0.1:1234', /ARM_ENDPOINT/],
    ['SCAN_NAMESPACE', 'AKS_Fleet', /SCAN_NAMESPACE must be a Kubernetes namespace name \(a DNS-1123 label/],
    ['SCAN_NAMESPACE', '-scanner', /SCAN_NAMESPACE must be a Kubernetes namespace name/],
    ['SCAN_NAMESPACE', 'a'.repeat(64), /SCAN_NAMESPACE must be a Kubernetes namespace name/],
  ])('%s=%s is refused with a message naming the setting', (name, value, pattern) => {
    expect(() => readSettings({ [name]: value })).toThrowError(SettingsError);
    expect(() => readSettings({ [name]: value })).toThrow(pattern);
  });

  it('never echoes a secret value in its error', () => {
    const secret = 'http://workflows.example.test/workflows/abc/triggers/manual?sig=SECRET';
    try {
      readSettings({ TEAMS_WEBHOOK_URL: secret });
      throw new Error('expected a SettingsError');
    } catch (e) {
      expect(e).toBeInstanceOf(SettingsError);
      expect((e as Error).message).toContain('TEAMS_WEBHOOK_URL');
      expect((e as Error).message).not.toContain('SECRET');
    }
  });

  it('every setting is documented in the README and read by the product, not only validated', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    // The product's sources, without comments: a setting named only in a comment is not read.
    // The simulator and the embedded Azurite are development tools, not readers.
    const sources = ['src', 'functions']
      .flatMap((dir) => readdirSync(`${ROOT}${dir}`, { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f}`))
      .filter((f) => f.endsWith('.ts') && f !== 'src/config/settings.ts' && !/^src\/(simulator|local)\//.test(f))
      .map((f): [string, string] => [
        f,
        readFileSync(`${ROOT}${f}`, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, ''),
      ]);
    expect(sources.length).toBeGreaterThan(50);
    for (const name of SETTING_NAMES) {
      expect(readme, `${name} is not in the README's settings table`).toMatch(new RegExp(`^\\|[^\\n]*\`${name}\``, 'm'));
      // A property read (settings.X), or the Functions host's %X% binding expression.
      const read = new RegExp(`\\.${name}\\b|%${name}%`);
      expect(
        sources.filter(([, text]) => read.test(text)).map(([f]) => f),
        `${name} is validated and documented but never read`,
      ).not.toEqual([]);
    }
  });

  it('SCAN_CONCURRENCY and SCAN_PER_SUBSCRIPTION bound the CLI scan; --concurrency bounds both', () => {
    expect(scanLimits(readSettings({}))).toEqual({ concurrency: 16, perSubscription: 8 });
    expect(scanLimits(readSettings({ SCAN_CONCURRENCY: '40', SCAN_PER_SUBSCRIPTION: '3' }))).toEqual({ concurrency: 40, perSubscription: 3 });
    expect(scanLimits(readSettings({ SCAN_PER_SUBSCRIPTION: '12' }), '4')).toEqual({ concurrency: 4, perSubscription: 4 });
    expect(() => scanLimits(readSettings({}), '0')).toThrow(/--concurrency must be a whole number/);
  });

  it('local.settings.example.json lists every setting, and its values are valid', () => {
    const example = JSON.parse(readFileSync(`${ROOT}local.settings.example.json`, 'utf8')) as { Values: Record<string, string> };
    for (const name of SETTING_NAMES) expect(Object.keys(example.Values), name).toContain(name);
    expect(() => readSettings(example.Values)).not.toThrow();
  });
});

describe('schedule period, for staleness', () => {
  it.each([
    ['0 0 2 * * *', 86_400_000],
    ['0 0 */6 * * *', 6 * 3_600_000],
    ['0 0 2,14 * * *', 12 * 3_600_000],
    ['0 30 * * * *', 3_600_000],
    ['0 0 3 * * 1', 7 * 86_400_000],
  ])('%s → %d ms', (cron, ms) => expect(schedulePeriodMs(cron)).toBe(ms));
});
