/** `aks-fleet-scanner doctor` through the CLI against a running simulator: JSON output, text output, exit codes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorReportSchema } from '../../src/model/doctor.js';
import type { RunningSimulator } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import { runCli } from '../support/cli.js';
import { SUB, clusterInput } from '../scan/sim-scan.js';

const id = (name: string): string => `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;

let sim: RunningSimulator;
beforeAll(async () => {
  const fleet = parseFleetSpec(
    {
      subscriptions: [{ subscriptionId: SUB, displayName: 'one' }],
      clusters: [
        { ...clusterInput({ name: 'aks-ready' }), subscriptionId: SUB },
        { ...clusterInput({ name: 'aks-hardened', admission: { excludedNamespaces: ['kube-system'] } }), subscriptionId: SUB },
      ],
    },
    'doctor fleet',
  );
  sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
});
afterAll(async () => sim.stop());

const arm = (): string[] => ['--arm-endpoint', sim.endpoint, '--arm-ca', sim.caPath];

describe('aks-fleet-scanner doctor', () => {
  it('--subscription --format json: every cluster of the subscription, in the documented schema; exit 1 as one is not ready', async () => {
    const r = await runCli(['doctor', ...arm(), '--subscription', SUB, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = doctorReportSchema.parse(JSON.parse(r.stdout));
    expect(report.ok).toBe(false);
    expect(Object.fromEntries(report.clusters.map((c) => [c.name, c.ok]))).toEqual({ 'aks-ready': true, 'aks-hardened': false });
    const hardened = report.clusters.find((c) => c.name === 'aks-hardened');
    expect(hardened?.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['admission']);
    for (const c of report.clusters.flatMap((x) => x.checks)) expect(c.status === 'fail').toBe(c.fix !== undefined);
  });

  it('--cluster with a ready cluster: text output says so, exit 0; the fix is printed under a failure', async () => {
    const ready = await runCli(['doctor', ...arm(), '--cluster', id('aks-ready')]);
    expect(ready.code).toBe(0);
    expect(ready.stdout).toMatch(/PASS admission policies/);
    expect(ready.stdout).toMatch(/ready to scan/);
    expect(ready.stdout).toMatch(/^1 cluster\(s\) checked, 0 not ready$/m);
    const hardened = await runCli(['doctor', ...arm(), '--cluster', id('aks-hardened'), '--namespace', 'sec-scans']);
    expect(hardened.code).toBe(1);
    expect(hardened.stdout).toMatch(/FAIL admission policies .*denied the request/);
    expect(hardened.stdout).toMatch(/fix: exempt namespace sec-scans from the policy/);
  });

  it('usage errors are one line and exit 2', async () => {
    for (const [argv, pattern] of [
      [['doctor', ...arm()], /doctor needs --cluster RESOURCE_ID or --subscription ID/],
      [['doctor', ...arm(), '--cluster', 'aks-ready'], /--cluster must be an AKS resource id/],
      [['doctor', ...arm(), '--subscription', SUB, '--namespace', 'Bad_NS'], /--namespace must be a Kubernetes namespace name/],
      [['doctor', '--arm-endpoint', sim.endpoint, '--subscription', SUB], /--arm-endpoint and --arm-ca go together/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
    const bad = await runCli(['doctor', ...arm(), '--subscription', SUB], { env: { SCAN_NAMESPACE: 'Not A Label' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/setting SCAN_NAMESPACE must be a Kubernetes namespace name/);
  });
});
