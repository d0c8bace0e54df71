/**
 * Sizing stated truly and measured with what ships: the Function app runs host.json's batchSize +
 * newBatchThreshold steps at once per instance, times maximumInstanceCount; the fleet bench's
 * worker processes run at that same concurrency (bench/fleet/sizing.ts reads both files); and the
 * README, infra/README.md and the Bicep comment state the product of the values that ship.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleetRunOptions } from '../../bench/figures/fleet.js';
import { hostQueueSizing, planSizing } from '../../bench/fleet/sizing.js';
import { REPO_ROOT } from './bicep.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');

describe('steps at once, as measured and documented', () => {
  const host = hostQueueSizing(`${REPO_ROOT}/`);
  const plan = planSizing(`${REPO_ROOT}/`);

  it('the sizing source reads host.json and the Bicep as they are', () => {
    const queues = (JSON.parse(read('host.json')) as { extensions: { queues: { batchSize: number; newBatchThreshold: number } } }).extensions.queues;
    expect(host.perInstance).toBe(queues.batchSize + queues.newBatchThreshold);
    expect(plan.maximumInstanceCount).toBe(Number(/param maximumInstanceCount int = (\d+)/.exec(read('infra/main.bicep'))?.[1]));
    expect(plan.instanceMemoryMB).toBe(Number(/param instanceMemoryMB int = (\d+)/.exec(read('infra/app/function-app.bicep'))?.[1]));
  });

  it("the fleet bench's worker processes run at host.json's concurrency, its delivery limit and (scaled) retry delay", () => {
    const o = fleetRunOptions();
    expect(o.concurrency).toBe(host.perInstance);
    expect(o.maxDequeueCount).toBe(host.maxDequeueCount);
    expect(o.visibilityTimeoutSeconds).toBe(Math.max(1, Math.round(host.visibilityTimeoutSeconds / o.timeScale)));
    expect(o.clusters).toBeGreaterThanOrEqual(2000);
    expect(o.subscriptions).toBeGreaterThanOrEqual(20);
    expect(o.workers).toBeGreaterThan(1);
  });

  it('the Bicep comment, infra/README.md and README.md give batchSize + newBatchThreshold times maximumInstanceCount', () => {
    const max = plan.maximumInstanceCount;
    const product = host.perInstance * max;
    expect(read('infra/README.md')).toContain(`${host.batchSize} + ${host.newBatchThreshold} = ${host.perInstance}`);
    expect(read('infra/README.md')).toContain(`${host.perInstance} × ${max} = ${product}`);
    expect(read('README.md')).toContain(`${host.perInstance} × ${max} = ${product}`);
    expect(read('infra/main.bicep')).toContain(`(host.json: ${host.batchSize} + ${host.newBatchThreshold} = ${host.perInstance})`);
    expect(read('infra/main.bicep')).toContain(`${host.perInstance} x ${max} = up to ${product} steps at once`);
  });

  it('steps come back at their delay: the host polls an idle queue at least every few seconds, and retries a failed step soon', () => {
    const queues = (JSON.parse(read('host.json')) as { extensions: { queues: { maxPollingInterval: string } } }).extensions.queues;
    const [h, m, s] = queues.maxPollingInterval.split(':').map(Number) as [number, number, number];
    // The default (1 minute) would add up to a minute to every follow-up step once the queue looks empty.
    expect(h * 3600 + m * 60 + s).toBeLessThanOrEqual(5);
    expect(host.visibilityTimeoutSeconds).toBeLessThanOrEqual(30);
  });

  it('SCAN_CONCURRENCY and SCAN_PER_SUBSCRIPTION are documented as CLI settings', () => {
    expect(read('README.md')).toMatch(/`SCAN_CONCURRENCY` \/ `SCAN_PER_SUBSCRIPTION` \|[^\n]*\(CLI `scan` only/);
  });
});
