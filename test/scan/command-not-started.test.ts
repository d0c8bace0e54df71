/** A command accepted by ARM whose pod never started: 404 on its result, retried once as a new POST. */
import { describe, expect, it } from 'vitest';
import { clusterInput, scanOne } from './sim-scan.js';

describe('a 404 on commandResults after an accepted POST', () => {
  it('once: a second POST (attempt 2 of the batch) scans the cluster', async () => {
    const { scan, attempts, requests } = await scanOne(clusterInput({ faults: [{ kind: 'result-not-found', times: 1 }] }));
    expect(scan.outcome.kind).toBe('scanned');
    expect(attempts.map((a) => [a.batch, a.attempt, a.outcome])).toEqual([
      [0, 1, 'command-not-started'],
      [0, 2, 'done'],
    ]);
    expect(requests.filter((r) => r.operation === 'ManagedClusters_RunCommand')).toHaveLength(2);
    expect(requests.find((r) => r.operation === 'ManagedClusters_GetCommandResult' && r.status === 404)?.errorCode).toBe('NotFound');
  });

  it('every time: command-not-started after two attempts, not not-found', async () => {
    const { scan, attempts } = await scanOne(clusterInput({ faults: [{ kind: 'result-not-found' }] }));
    expect(scan.outcome).toMatchObject({ kind: 'failed', reason: 'command-not-started', detail: expect.stringContaining('did not start') });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
  });
});
