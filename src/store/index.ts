/**
 * Scan results in Azure Table Storage.
 *
 * Wiring: `createStore(storageTargetFromEnv(process.env))` in functions/ and the CLI; everything
 * below receives the Store. Table layout and write order: layout.ts and store.ts.
 */
export { createStore, storeOverClients } from './store.js';
export type { Store, StoreOptions, StoreClients } from './store.js';
export { storageTargetFromEnv, DEVELOPMENT_STORAGE } from './target.js';
export type { StorageTarget } from './target.js';
export { createTableClient, createQueueClient, DEFAULT_RETRY } from './clients.js';
export type { RetryOptions, ClientOptions } from './clients.js';
export { createRequestCounter } from './counter.js';
export type { RequestCounter, PipelinePolicy } from './counter.js';
export { StoreError } from './errors.js';
export { encodeKey, decodeKey, clusterKey } from './keys.js';
export { tableNames } from './layout.js';
export type { TableNames } from './layout.js';
export { planBatches, MAX_BATCH_ENTITIES, entityWireSize } from './batch.js';
export { summaryEntities, digestSeedEntities } from './seed.js';
export * from './types.js';
export { createWaiverTable, waiverTableName, WaiverWriteError } from './waivers.js';
export type { StoredWaiver, WaiverAuthor, WaiverCondition, WaiverTable, WaiverTableOptions } from './waivers.js';
export { createAlertStore, PENDING_PARTITION } from './alerts.js';
export type { AlertStore, Claim, OpenAlert, StoredDelivery } from './alerts.js';
