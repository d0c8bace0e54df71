/**
 * Why a late second POST cannot run a second set of kube-bench Jobs: every POST of a cluster's scan
 * happens before its deadline, which counts from the planned start (steps.ts startScan), no earlier
 * than the first POST. The first attempt's Jobs are kept ttlSecondsAfterFinished after they finish,
 * so a second POST finds them as long as the longest deadline allowed is below that TTL. Both values
 * are read from their sources: raising the deadline's maximum or lowering the TTL breaks this test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTINGS } from '../../src/config/settings.js';

/** The largest value a settings schema accepts, found by asking it (whatever the schema is built from). */
function largestAccepted(schema: { safeParse(v: unknown): { success: boolean } }, upTo: number): number {
  let lo = 0;
  let hi = upTo;
  expect(schema.safeParse(String(hi)).success, `the schema has a maximum below ${upTo}`).toBe(false);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (schema.safeParse(String(mid)).success) lo = mid;
    else hi = mid;
  }
  return lo;
}

describe("the cluster deadline's maximum against the Jobs' TTL", () => {
  it('the longest deadline a setting allows ends before the first attempt’s Jobs may be deleted', () => {
    const maxDeadlineSeconds = largestAccepted(SETTINGS.SCAN_CLUSTER_DEADLINE_SECONDS, 10_000_000);
    expect(maxDeadlineSeconds).toBeGreaterThan(0);
    const job = parse(readFileSync(new URL('../../src/scan/incluster/aksfs-job.yaml', import.meta.url), 'utf8')) as {
      spec: { ttlSecondsAfterFinished: unknown };
    };
    const ttl = job.spec.ttlSecondsAfterFinished;
    expect(typeof ttl).toBe('number');
    expect(maxDeadlineSeconds).toBeLessThan(ttl as number);
  });
});
