/** `--storage`: a connection string, or a Table service URL used with DefaultAzureCredential. */
import type { Store, StorageTarget } from '../store/index.js';
import { UsageError } from './io.js';

export async function storageTargetFromOption(value: string): Promise<StorageTarget> {
  const { storageTargetFromEnv } = await import('../store/index.js');
  try {
    if (/^https:\/\//i.test(value)) {
      return storageTargetFromEnv({ AzureWebJobsStorage__tableServiceUri: value, AzureWebJobsStorage__queueServiceUri: value.replace('.table.', '.queue.') });
    }
    return storageTargetFromEnv({ AZURE_STORAGE_CONNECTION_STRING: value });
  } catch (e) {
    // The store names its own setting; on the command line the input is --storage. Never echo the value.
    const why = e instanceof Error ? e.message.replace(/^.*?:\s*/, '') : 'is not valid';
    throw new UsageError(`--storage must be a storage connection string or an https:// Table service URL: ${why}`);
  }
}

/** A store for `--storage`, with its tables made; a value the clients refuse is a usage error too. */
export async function storeFromOption(value: string): Promise<Store> {
  const target = await storageTargetFromOption(value);
  const { createStore } = await import('../store/index.js');
  let store: Store;
  try {
    store = createStore(target);
  } catch (e) {
    const why = e instanceof Error ? (e.message.split('\n')[0] ?? '') : 'is not valid';
    throw new UsageError(`--storage must be a storage connection string or an https:// Table service URL: ${why.replace(value, '<value>')}`);
  }
  await store.ensureTables();
  return store;
}
