/**
 * Sizing stated truly: the Function app's concurrency is per instance (host.json batchSize +
 * newBatchThreshold) times maximumInstanceCount, and the README, infra/README.md and the Bicep
 * comment state the product of the values the repository actually ships.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './bicep.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');

describe('clusters scanned at once, as documented', () => {
  const queues = (JSON.parse(read('host.json')) as { extensions: { queues: { batchSize: number; newBatchThreshold: number } } }).extensions.queues;
  const perInstance = queues.batchSize + queues.newBatchThreshold;
  const maxInstances = Number(/param maximumInstanceCount int = (\d+)/.exec(read('infra/main.bicep'))?.[1]);

  it('the Bicep comment, infra/README.md and README.md give batchSize + newBatchThreshold times maximumInstanceCount', () => {
    expect(maxInstances).toBeGreaterThan(0);
    const product = `${perInstance} × ${maxInstances} = ${perInstance * maxInstances}`;
    expect(read('infra/README.md')).toContain(`${queues.batchSize} + ${queues.newBatchThreshold} = ${perInstance}`);
    expect(read('infra/README.md')).toContain(product);
    expect(read('README.md')).toContain(product);
    expect(read('infra/main.bicep')).toContain(`${queues.batchSize} + ${queues.newBatchThreshold} = ${perInstance}), one cluster each`);
    expect(read('infra/main.bicep')).toContain(`${perInstance} x ${maxInstances} = up to ${perInstance * maxInstances} clusters`);
  });

  it('SCAN_CONCURRENCY and SCAN_PER_SUBSCRIPTION are documented as CLI settings', () => {
    expect(read('README.md')).toMatch(/`SCAN_CONCURRENCY` \/ `SCAN_PER_SUBSCRIPTION` \|[^\n]*\(CLI `scan` only/);
  });
});
