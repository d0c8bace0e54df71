/**
 * One in-process Azurite per test file: started in beforeAll, stopped in afterAll.
 * Each `store()` gets its own table prefix, so tests in a file do not see each other's rows.
 */
import { afterAll, beforeAll } from 'vitest';
import { startAzurite, type AzuriteInstance } from '../../src/local/azurite.js';
import { createStore, type Store, type StoreOptions } from '../../src/store/store.js';
import type { StorageTarget } from '../../src/store/target.js';

export interface AzuriteHandle {
  readonly instance: AzuriteInstance;
  target(): StorageTarget;
  /** A store over fresh tables (created). */
  store(opts?: StoreOptions): Promise<Store>;
  /** A second store over the same tables as `of`, e.g. without the fault injection of the first. */
  sameTables(of: Store, opts?: StoreOptions): Store;
}

let seq = 0;

export function useAzurite(): AzuriteHandle {
  let az: AzuriteInstance | undefined;
  beforeAll(async () => {
    az = await startAzurite();
  });
  afterAll(async () => {
    await az?.stop();
  });
  const instance = (): AzuriteInstance => {
    if (!az) throw new Error('Azurite is not running: use the handle inside tests, after beforeAll');
    return az;
  };
  const handle: AzuriteHandle = {
    get instance(): AzuriteInstance {
      return instance();
    },
    target: () => ({ kind: 'connection-string', value: instance().connectionString }),
    async store(opts: StoreOptions = {}): Promise<Store> {
      const prefix = `t${Date.now().toString(36)}${(seq++).toString(36)}`;
      // Tests fail fast rather than wait out the production back-off.
      const s = createStore(handle.target(), {
        tablePrefix: prefix,
        timeoutMs: 10_000,
        retry: { maxRetries: 1, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
        ...opts,
      });
      await s.ensureTables();
      s.requests.reset();
      return s;
    },
    sameTables(of: Store, opts: StoreOptions = {}): Store {
      const prefix = of.tables.clusters.replace(/Clusters$/, '');
      return createStore(handle.target(), {
        tablePrefix: prefix,
        timeoutMs: 10_000,
        retry: { maxRetries: 1, retryDelayInMs: 50, maxRetryDelayInMs: 200 },
        ...opts,
      });
    },
  };
  return handle;
}
