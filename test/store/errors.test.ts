/**
 * Error classes against real Azurite: what the service refuses for size, keys or input is deterministic
 * (a retry fails the same way); an unreachable or busy service is transient.
 */
import { describe, expect, it } from 'vitest';
import { createTableClient } from '../../src/store/clients.js';
import { classifyError, EntityTooLargeError, StoreError, toStoreError } from '../../src/store/errors.js';
import { assertFits, MAX_STRING_CHARS } from '../../src/store/limits.js';
import { createStore } from '../../src/store/store.js';
import { useAzurite } from '../support/azurite.js';
import { answerFirst } from './faults.js';
import { classify, clusterRef, threePools } from './fixtures.js';

const az = useAzurite();

async function refusal(entity: Record<string, unknown>): Promise<StoreError> {
  const store = await az.store();
  const client = createTableClient(az.target(), store.tables.clusters, { retry: { maxRetries: 0 } });
  const e = await client.upsertEntity({ partitionKey: 'p', rowKey: 'r', ...entity }, 'Replace').catch((err: unknown) => err);
  return toStoreError(e, store.tables.clusters, 'test write');
}

describe('what Azurite refuses is deterministic', () => {
  it('a string property over 32 K characters, an entity over 1 MiB, a key over the limit', async () => {
    const cases = {
      'property too large': await refusal({ big: 'x'.repeat(MAX_STRING_CHARS + 1) }),
      'entity too large': await refusal(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`b${i}`, new Uint8Array(60_000)]))),
      'key too long': await refusal({ rowKey: 'k'.repeat(600) }),
    };
    for (const [what, e] of Object.entries(cases)) {
      expect(e.statusCode, what).toBe(400);
      expect(classifyError(e), what).toBe('deterministic');
    }
    expect(cases['property too large'].code).toBe('PropertyValueTooLarge');
    expect(cases['entity too large'].code).toBe('EntityTooLarge');
  });

  it('the store finds a value too large before sending anything', async () => {
    const store = await az.store();
    let err: unknown;
    try {
      assertFits({ partitionKey: 'p', rowKey: 'r', big: 'x'.repeat(MAX_STRING_CHARS + 1) }, 'an entity');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EntityTooLargeError);
    expect((err as Error).message).toBe(`an entity: property big holds ${MAX_STRING_CHARS + 1} characters; Table Storage allows ${MAX_STRING_CHARS}`);
    expect(classifyError(err)).toBe('deterministic');
    // A scan with a node twice is bad input: refused before the first request.
    const ref = clusterRef('dup');
    const scan = threePools(ref);
    if (scan.outcome.kind === 'scanned') scan.outcome.nodes.push(scan.outcome.nodes[0]!);
    const bad = await store.saveClusterScan(scan, { runId: 'r', scanId: 's' }, classify).catch((e: unknown) => e);
    expect(classifyError(bad)).toBe('deterministic');
    expect(store.requests.total).toBe(0);
  });
});

describe('an unavailable or busy service is transient', () => {
  it('nothing listening (connection refused), throttled (429), busy (503), a server error (500), a timeout', async () => {
    const down = createStore(
      { kind: 'connection-string', value: az.instance.connectionString.replace(/:\d+\//g, ':1/') },
      { retry: { maxRetries: 0 }, tablePrefix: 'down' },
    );
    const refused = await down.listClusterSummaries().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect(classifyError(refused)).toBe('transient');
    const base = await az.store();
    for (const status of [429, 503, 500, 408]) {
      const busy = az.sameTables(base, { policies: [answerFirst(10, status, { 'retry-after': '0' })], retry: { maxRetries: 0 } });
      const e = await busy.listClusterSummaries().catch((err: unknown) => err);
      expect((e as StoreError).statusCode, String(status)).toBe(status);
      expect(classifyError(e), String(status)).toBe('transient');
    }
    const slow = az.sameTables(base, { timeoutMs: 1 });
    const timedOut = await slow.listClusterSummaries().catch((e: unknown) => e);
    expect(classifyError(timedOut)).toBe('transient');
  });
});
