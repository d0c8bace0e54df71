/**
 * The results store over Azure Table Storage. See layout.ts for the tables and why.
 *
 * Write order for one cluster scan (saveClusterScan), so that readers never see half a scan:
 *   1. the node results (and any overflow of the scan details) into the scan's own Nodes partition;
 *   2. the scan header in the cluster's Scans partition: the scan now exists for history and by id;
 *   3. last, the cluster's fleet entity (the pointer), moved with an ETag-guarded write and only
 *      forward in time, so a late retry of an older message cannot move it back.
 * Every key is derived from the ids, and every write is an upsert of whole entities, so running
 * the same save again (a redelivered message) leaves the same entities.
 *
 * Run progress: one entity per (run, cluster), upserted, and counted on read. The alternative,
 * counters on the run entity merged under ETags, needs a read-modify-write per worker, contends
 * when a thousand workers finish together, and cannot tell a redelivered message from a new one
 * without keeping the set of counted clusters anyway. Per-cluster entities are idempotent by key,
 * never contend, and count with one partition query (1,000 per page).
 */
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { isDeepStrictEqual } from 'node:util';
import pLimit from 'p-limit';
import { OUTCOME_KINDS, type ClusterScan, type ScannedNode } from '../model/cluster.js';
import { errorMessage, InputError } from '../model/errors.js';
import { createAlertStore, type AlertStore } from './alerts.js';
import { entityWireSize, planBatches } from './batch.js';
import { createTableClient, type RetryOptions } from './clients.js';
import {
  attemptProps,
  clusterSummaryOf,
  FLEET,
  KEEP_SELECT,
  keptScansOf,
  pointerOf,
  POINTER_SELECT,
  resultsProps,
  type AttemptInput,
  type FleetPointer,
} from './codec/fleet.js';
import { topicFailureOf, topicRowEntity } from './codec/topic.js';
import { DIGEST_SHARDS, digestComplete, digestMetaEntity, digestOf, digestRecordsOf, digestShardEntity, digestShardOf, mergeDigests } from './codec/digest.js';
import { nodeResultEntities, nodeResultOf } from './codec/node.js';
import { RUN_TRIGGERS } from '../model/run.js';
import { clusterDoneEntity, indexedRunId, RUN, RUN_SELECT, runEntities, runRecordOf } from './codec/run.js';
import { runRollupEntity, runRollupKeys, runRollupOf } from './codec/run-rollup.js';
import { overflowParts, SCAN_HISTORY_SELECT, SCAN_ID_SELECT, SCAN_STARTED_AT, scanDetailsOf, scanEntities, scanIdOf, scanTotalsOf } from './codec/scan.js';
import { KEYS_SELECT, keysOf, where, type Entity } from './codec/values.js';
import { createRequestCounter, type PipelinePolicy, type RequestCounter } from './counter.js';
import { statusOf, StoreError, toStoreError } from './errors.js';
import { clusterKey, prefixRange } from './keys.js';
import {
  keys,
  RUN_HEADER_ROW,
  RUN_INDEX_PARTITION,
  FLEET_PARTITION,
  tableNames,
  DETAILS_ROW_PREFIX,
  DIGEST_PARTITION,
  DIGEST_META_ROW,
  type TableNames,
} from './layout.js';
import { assertFits, cutText, MAX_DETAIL_CHARS } from './limits.js';
import { contributionSig, rollup, topicContributions, topicSigs, type TopicContribution } from './rollup.js';
import { TableStepRecords } from './steps.js';
import type { StorageTarget } from './target.js';
import type {
  ClusterDigest,
  ClusterPointers,
  ClusterSummary,
  Classifier,
  FailingFilter,
  OutcomeKind,
  PruneResult,
  RunRecord,
  RunRollup,
  RunStart,
  ScanTotals,
  StoredClusterScan,
  StoredOutcome,
  SummaryFilter,
  TopicFailure,
} from './types.js';

export interface Store {
  readonly tables: TableNames;
  /** Requests sent by this store's clients (every attempt, retries included). */
  readonly requests: RequestCounter;
  /** The scan steps' command ids and batch outputs, and the learned command durations (steps.ts). */
  readonly steps: TableStepRecords;
  /** Teams alerting's rows: run changes, digest claims and deliveries, open alerts (alerts.ts). */
  readonly alerts: AlertStore;
  /** Creates the tables if missing. Call once at start-up, not per message. */
  ensureTables(): Promise<void>;
  startRun(run: RunStart): Promise<void>;
  /** Idempotent per (run, cluster): a redelivered message overwrites, never double-counts. */
  recordClusterDone(runId: string, clusterId: string, outcome: OutcomeKind): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Newest first. */
  listRuns(limit: number): Promise<RunRecord[]>;
  saveClusterScan(scan: ClusterScan, ids: { runId: string; scanId: string }, classify: Classifier): Promise<void>;
  /** One partition query over the small per-cluster entities. */
  listClusterSummaries(filter?: SummaryFilter): Promise<ClusterSummary[]>;
  /**
   * Clusters whose latest results fail a topic or a check. A topic reads the topic's aggregate partition,
   * then each listed cluster's entity (point reads); a check alone filters the fleet partition in memory.
   */
  listClustersFailing(filter: FailingFilter): Promise<ClusterSummary[]>;
  /**
   * Every cluster's digest (what the summary, the listing's order and filters need), sorted by key:
   * one query over the digest's shards, whatever the fleet's size. The first read of a fleet saved
   * before the digest existed builds it from the fleet partition.
   */
  listClusterDigests(): Promise<ClusterDigest[]>;
  /**
   * The fleet entities of `page` (digest keys), in that order, unknown ones left out. `known` holds
   * the fleet's other keys (from the digest): keys of the page with none of them between are read
   * with one key-range query, so a page in key order is one request.
   */
  getClusterSummaries(page: readonly string[], known: readonly string[]): Promise<ClusterSummary[]>;
  /** The topic's aggregate: one partition, one row per cluster whose latest results fail it. */
  listTopicFailures(topic: string): Promise<TopicFailure[]>;
  /** The topic's aggregate rows of a page of clusters (fleet keys), read like getClusterSummaries. */
  getTopicFailures(topic: string, page: readonly string[], known: readonly string[]): Promise<TopicFailure[]>;
  /** One cluster's fleet entity (point read); null for an unknown cluster. */
  getClusterSummary(clusterId: string): Promise<ClusterSummary | null>;
  /** The cluster's latest attempt and latest results scan ids, from one point read; null for an unknown cluster. */
  getClusterPointers(clusterId: string): Promise<ClusterPointers | null>;
  getClusterLatest(clusterId: string): Promise<StoredClusterScan | null>;
  /** The latest attempt that scanned (the fleet entity's rScanId), whatever the attempts after it; null when none did. */
  getClusterLatestResults(clusterId: string): Promise<StoredClusterScan | null>;
  getClusterScan(clusterId: string, scanId: string): Promise<StoredClusterScan | null>;
  /** Newest first. */
  getClusterHistory(clusterId: string, limit: number): Promise<ScanTotals[]>;
  getNodeResult(clusterId: string, scanId: string, node: string): Promise<ScannedNode | null>;
  /** Totals of every cluster's scans started at or after `since` (ISO), at most `max` of them: one query, $select'ed, 1,000 per page. */
  listScanTotalsSince(since: string, max: number): Promise<ScanTotals[]>;
  /** The scans of one run: a query across every cluster's partition, so the trend makes it once per run (then reads the rollup). */
  listRunScanTotals(runId: string, max: number): Promise<ScanTotals[]>;
  /** A run's stored rollup (src/dashboard/trend.ts), or null. */
  getRunRollup(runId: string): Promise<RunRollup | null>;
  /** Stores a run's rollup; false when it does not fit one entity (the trend then keeps computing it). */
  saveRunRollup(rollup: RunRollup): Promise<boolean>;
  /** Deletes scans and runs that started before now - retentionDays; never a cluster's latest scan or latest results. */
  pruneHistory(now: Date, retentionDays: number): Promise<PruneResult>;
}

export interface StoreOptions {
  /** Table name prefix, letters and digits; default "aksfs" (tables aksfsClusters, aksfsScans, aksfsNodes, aksfsRuns). */
  tablePrefix?: string;
  /** Time limit of each single call; default 30 s. */
  timeoutMs?: number;
  /** Time limit of a listing across all its pages; default 120 s. */
  listTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Counter to share (e.g. with a benchmark); default a new one. */
  counter?: RequestCounter;
  /** Extra per-retry pipeline policies; tests use one to inject failures. */
  policies?: PipelinePolicy[];
  /** Parallel calls in listRuns and pruneHistory; default 4. */
  concurrency?: number;
  /** Shards of the fleet digest new records go to; default 64. Tests use few to make writers collide. */
  digestShards?: number;
}

export type StoreClients = Record<keyof TableNames, TableClient>;

/** Wires table clients for a target and builds the store. */
export function createStore(target: StorageTarget, opts: StoreOptions = {}): Store {
  const names = tableNames(opts.tablePrefix ?? 'aksfs');
  const counter = opts.counter ?? createRequestCounter();
  const clientOpts = { counter, ...(opts.retry ? { retry: opts.retry } : {}), ...(opts.policies ? { policies: opts.policies } : {}) };
  const clients: StoreClients = {
    clusters: createTableClient(target, names.clusters, clientOpts),
    scans: createTableClient(target, names.scans, clientOpts),
    nodes: createTableClient(target, names.nodes, clientOpts),
    runs: createTableClient(target, names.runs, clientOpts),
  };
  return storeOverClients(clients, names, counter, opts);
}

/** Builds the store over clients made elsewhere (their table names must match `names`). */
export function storeOverClients(clients: StoreClients, names: TableNames, counter: RequestCounter, opts: StoreOptions = {}): Store {
  return new TableStore(clients, names, counter, opts);
}

const POINTER_ATTEMPTS = 5;
/** A digest shard is shared by 1/64 of the fleet's clusters, so its writers may collide more often than a pointer's. */
const DIGEST_ATTEMPTS = 10;
/** Parallel row writes of one cluster's topic aggregate. */
const TOPIC_WRITES = 4;

/** The fleet entity as the topic aggregate sees it, with the ETag it was read or written at. */
interface FleetState {
  etag: string;
  pointer: FleetPointer;
  /** The whole entity as written or read, for the fleet digest. */
  entity: Entity;
}

/** What this save knows of its own results' contributions to topic rows. */
interface OwnContributions {
  scanId: string;
  byTopic: Map<string, TopicContribution>;
}

/** Topics whose fingerprint differs between two results, a topic on one side only included. */
function changedTopics(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((t) => before[t] !== after[t]);
}

/** Writers that lost an ETag race retry at random offsets, so that they stop colliding in lockstep. */
function lostRacePause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * (attempt + 1)));
}

function etagOf(e: Entity): string {
  return typeof e['etag'] === 'string' ? e['etag'] : '*';
}

function isoTime(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InputError(what, `"${value}" is not an ISO 8601 time`);
  return new Date(ms).toISOString();
}

function nonEmpty(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(what, 'is empty');
  return value;
}

function positiveInt(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new InputError(what, `must be an integer from 1 to ${max}, got ${value}`);
  return value;
}

/** Orders attempts: by start time, then by scan id, so that two writers agree on which is newer. */
function compareAttempt(a: { startedAt: string; scanId: string }, b: { startedAt: string; scanId: string }): number {
  return a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.scanId < b.scanId ? -1 : a.scanId > b.scanId ? 1 : 0;
}

function isNotFound(e: unknown): boolean {
  return statusOf(e) === 404;
}

/** Checks a scan before anything is written: times, ids, node names. */
function validScan(scan: ClusterScan, ids: { runId: string; scanId: string }): AttemptInput & { nodes: ScannedNode[] } {
  const runId = nonEmpty(ids.runId, 'run id');
  const scanId = nonEmpty(ids.scanId, 'scan id');
  nonEmpty(scan.cluster.id, 'cluster id');
  const o = scan.outcome;
  const nodes = o.kind === 'scanned' ? o.nodes : [];
  const seen = new Set<string>();
  for (const n of nodes) {
    nonEmpty(n.name, `a node name in scan ${scanId}`);
    if (seen.has(n.name)) throw new InputError(`scan ${scanId}`, `node ${n.name} appears twice`);
    seen.add(n.name);
  }
  const outcome: StoredOutcome = o.kind === 'scanned' ? { kind: 'scanned' } : { ...o, detail: cutText(o.detail, MAX_DETAIL_CHARS) };
  return {
    cluster: scan.cluster,
    outcome,
    benchmark: scan.benchmark,
    scanId,
    runId,
    startedAt: isoTime(scan.startedAt, `scan ${scanId} startedAt`),
    finishedAt: isoTime(scan.finishedAt, `scan ${scanId} finishedAt`),
    nodes,
  };
}

class TableStore implements Store {
  private readonly timeoutMs: number;
  private readonly listTimeoutMs: number;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly digestShards: number;
  readonly alerts: AlertStore;

  constructor(
    private readonly clients: StoreClients,
    readonly tables: TableNames,
    readonly requests: RequestCounter,
    opts: StoreOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.listTimeoutMs = opts.listTimeoutMs ?? 120_000;
    this.limit = pLimit(opts.concurrency ?? 4);
    this.digestShards = opts.digestShards ?? DIGEST_SHARDS;
    this.steps = new TableStepRecords(clients.runs, this.timeoutMs);
    this.alerts = createAlertStore(clients.runs, tables.runs, this.timeoutMs);
  }

  readonly steps: TableStepRecords;

  // ---- plumbing -----------------------------------------------------------------------------

  private async call<T>(table: keyof TableNames, operation: string, fn: (client: TableClient, o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await fn(this.clients[table], { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw toStoreError(e, this.tables[table], operation);
    }
  }

  private async get(table: keyof TableNames, operation: string, partitionKey: string, rowKey: string, select?: string[]): Promise<Entity | null> {
    try {
      return await this.call(table, operation, (c, o) => c.getEntity<Entity>(partitionKey, rowKey, { ...o, ...(select ? { queryOptions: { select } } : {}) }));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  private async list(table: keyof TableNames, operation: string, filter: string, opts: { select?: string[]; max?: number } = {}): Promise<Entity[]> {
    const out: Entity[] = [];
    try {
      const pages = this.clients[table]
        .listEntities<Entity>({
          queryOptions: { filter, ...(opts.select ? { select: opts.select } : {}) },
          abortSignal: AbortSignal.timeout(this.listTimeoutMs),
        })
        .byPage({ maxPageSize: Math.min(opts.max ?? 1000, 1000) });
      for await (const page of pages) {
        for (const e of page) {
          out.push(e);
          if (opts.max !== undefined && out.length >= opts.max) return out;
        }
      }
      return out;
    } catch (e) {
      throw toStoreError(e, this.tables[table], operation);
    }
  }

  /** Upserts (Replace) or deletes entities, in same-partition transactions of at most 100. */
  private async writeAll(table: keyof TableNames, operation: string, kind: 'upsert' | 'delete', entities: TableEntity<Entity>[]): Promise<void> {
    for (const batch of planBatches(entities, entityWireSize)) {
      const first = batch[0];
      if (!first) continue;
      if (batch.length === 1) {
        // A single entity needs no transaction: a plain call is one request all the same, and simpler to read in logs.
        if (kind === 'upsert') await this.call(table, operation, (c, o) => c.upsertEntity(first, 'Replace', o));
        else await this.deleteOne(table, operation, first.partitionKey, first.rowKey);
        continue;
      }
      const actions: TransactionAction[] = batch.map((e) =>
        kind === 'upsert' ? ['upsert', e, 'Replace'] : ['delete', { partitionKey: e.partitionKey, rowKey: e.rowKey }],
      );
      await this.call(table, `${operation} (transaction of ${batch.length})`, (c, o) => c.submitTransaction(actions, o));
    }
  }

  /** True when it deleted the entity, false when it was already gone (which is what we wanted). */
  private async deleteOne(table: keyof TableNames, operation: string, partitionKey: string, rowKey: string): Promise<boolean> {
    try {
      await this.call(table, operation, (c, o) => c.deleteEntity(partitionKey, rowKey, o));
      return true;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return false;
    }
  }

  // ---- tables and runs ----------------------------------------------------------------------

  async ensureTables(): Promise<void> {
    for (const t of Object.keys(this.tables) as (keyof TableNames)[]) {
      await this.call(t, 'create table', (c, o) => c.createTable(o));
    }
    // A new fleet's digest is complete from its first save on; an older fleet's is built by its first read.
    const op = 'start fleet digest';
    if (await this.get('clusters', op, DIGEST_PARTITION, DIGEST_META_ROW)) return;
    const any = await this.list('clusters', op, odata`PartitionKey eq ${FLEET_PARTITION}`, { select: ['RowKey'], max: 1 });
    if (any.length > 0) return;
    try {
      await this.call('clusters', op, (c, o) => c.createEntity(digestMetaEntity(new Date().toISOString()), o));
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
    }
  }

  async startRun(run: RunStart): Promise<void> {
    const runId = nonEmpty(run.runId, 'run id');
    if (!(RUN_TRIGGERS as readonly string[]).includes(run.trigger))
      throw new InputError('run trigger', `"${String(run.trigger)}" is not ${RUN_TRIGGERS.join(', ')}`);
    const startedAt = isoTime(run.startedAt, 'run startedAt');
    if (!Number.isInteger(run.queued) || run.queued < 0) throw new InputError('run queued', `must be a whole number, got ${run.queued}`);
    const { header, index } = runEntities({ runId, trigger: run.trigger, startedAt, queued: run.queued });
    await this.call('runs', 'start run', (c, o) => c.upsertEntity(header, 'Replace', o));
    await this.call('runs', 'index run', (c, o) => c.upsertEntity(index, 'Replace', o));
  }

  async recordClusterDone(runId: string, clusterId: string, outcome: OutcomeKind): Promise<void> {
    nonEmpty(runId, 'run id');
    nonEmpty(clusterId, 'cluster id');
    if (!(OUTCOME_KINDS as readonly string[]).includes(outcome))
      throw new InputError('cluster outcome', `"${String(outcome)}" is not scanned, skipped or failed`);
    const entity = clusterDoneEntity(runId, clusterId, outcome);
    await this.call('runs', 'record cluster done', (c, o) => c.upsertEntity(entity, 'Replace', o));
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const rows = await this.list('runs', 'read run', odata`PartitionKey eq ${keys.runPartition(nonEmpty(runId, 'run id'))}`, { select: [...RUN_SELECT] });
    return this.decoded('runs', `read run ${runId}`, () => runRecordOf(rows));
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    positiveInt(limit, 'run list limit', 1000);
    const index = await this.list('runs', 'list runs', odata`PartitionKey eq ${RUN_INDEX_PARTITION}`, { select: [RUN.runId], max: limit });
    const ids = this.decoded('runs', 'list runs', () => index.map(indexedRunId));
    const runs = await Promise.all(ids.map((id) => this.limit(() => this.getRun(id))));
    return runs.filter((r): r is RunRecord => r !== null);
  }

  /** Runs a decoder; a CorruptEntityError becomes a StoreError naming the table and the operation. */
  private decoded<T>(table: keyof TableNames, operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      // A decoder throws CorruptEntityError, and unpack a plain Error on a bad hash or gzip stream.
      if (e instanceof StoreError) throw e;
      throw new StoreError(this.tables[table], operation, undefined, 'CorruptEntity', errorMessage(e));
    }
  }

  // ---- saving a scan ------------------------------------------------------------------------

  async saveClusterScan(scan: ClusterScan, ids: { runId: string; scanId: string }, classify: Classifier): Promise<void> {
    // Everything is computed before the first write, so a bad input or a classifier error writes nothing.
    const a = validScan(scan, ids);
    const r = rollup(scan, classify);
    const c = a.cluster;
    const nodeFailureList = scan.outcome.kind === 'scanned' ? scan.outcome.nodeFailures : [];
    const cluster = {
      id: c.id,
      subscriptionId: c.subscriptionId,
      resourceGroup: c.resourceGroup,
      name: c.name,
      location: c.location,
      kubernetesVersion: c.kubernetesVersion,
    };
    const nodesPk = keys.nodesPartition(c.id, a.scanId);
    const { header, overflow } = scanEntities({
      ...a,
      clusterId: c.id,
      totals: r.totals,
      triage: r.triage,
      details: { cluster, nodeList: r.nodes, nodeFailureList, checks: r.checks },
    });
    const nodeRows = [...a.nodes.flatMap((n) => nodeResultEntities(nodesPk, n)), ...overflow];
    const attempt = attemptProps(a);
    const own: OwnContributions | null = a.outcome.kind === 'scanned' ? { scanId: a.scanId, byTopic: topicContributions(r.checks) } : null;
    const results = own ? resultsProps(a, r, nodeFailureList.length, topicSigs(own.byTopic)) : null;
    // Every entity is checked against the service's limits before the first write: one too large is found here, once.
    for (const e of nodeRows) assertFits(e, `node results of scan ${a.scanId} (${e.rowKey})`);
    assertFits(header, `scan ${a.scanId} header`);
    assertFits({ ...keys.fleet(c.id), ...attempt, ...results, [FLEET.firstAttemptAt]: a.startedAt }, `cluster entity of scan ${a.scanId}`);
    for (const [t, contribution] of own?.byTopic ?? []) assertFits(topicRowEntity(t, { ...cluster, clusterId: c.id }, contribution), `topic row ${t}`);

    await this.writeAll('nodes', `save node results of scan ${a.scanId}`, 'upsert', nodeRows);
    await this.call('scans', `save scan ${a.scanId}`, (cl, opt) => cl.upsertEntity(header, 'Replace', opt));
    const state = await this.movePointer(c.id, a, attempt, results);
    // The digest follows the pointer; a crash before this leaves the record behind until the redelivery writes it.
    await this.joinDigests([this.decoded('clusters', 'update fleet digest', () => digestOf(state.entity))]);
    await this.syncTopics(c.id, state, own);
  }

  /**
   * Moves the fleet entity forward: the attempt fields when this attempt is the newest, the results
   * fields when this is the newest scanned attempt. ETag-guarded, retried a few times on a race.
   */
  private async movePointer(clusterId: string, at: { startedAt: string; scanId: string }, attempt: Entity, results: Entity | null): Promise<FleetState> {
    const k = keys.fleet(clusterId);
    const op = 'move cluster pointer';
    const newSigs = (): Record<string, string> => this.decoded('clusters', op, () => pointerOf({ ...k, ...attempt, ...results }).rTopicSigs);
    for (let i = 0; i < POINTER_ATTEMPTS; i++) {
      const current = await this.get('clusters', 'read cluster pointer', k.partitionKey, k.rowKey);
      try {
        if (!current) {
          // Every failing topic needs its row: the entity says so until the rows are written (syncTopics).
          const created = {
            ...k,
            ...attempt,
            ...(results ?? {}),
            [FLEET.firstAttemptAt]: at.startedAt,
            [FLEET.aggDirty]: JSON.stringify(Object.keys(newSigs())),
          };
          const h = await this.call('clusters', op, (c, o) => c.createEntity(created, o));
          return { etag: h.etag ?? '*', pointer: this.decoded('clusters', op, () => pointerOf(created)), entity: created };
        }
        const p = this.decoded('clusters', op, () => pointerOf(current));
        const attemptNewer = compareAttempt(at, p) >= 0;
        const resultsNewer = results !== null && (p.rScanId === null || compareAttempt(at, { startedAt: p.rStartedAt ?? '', scanId: p.rScanId }) >= 0);
        // A late older attempt still moves the first-attempt time back: staleness of a never-scanned cluster counts from it.
        const firstEarlier = p.firstAttemptAt === null || at.startedAt < p.firstAttemptAt;
        if (!attemptNewer && !resultsNewer && !firstEarlier) return { etag: etagOf(current), pointer: p, entity: current };
        const next: Entity = {};
        for (const [key, v] of Object.entries(current)) {
          if (!['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata', 'odata.etag'].includes(key)) next[key] = v;
        }
        Object.assign(next, attemptNewer ? attempt : {}, resultsNewer ? results : {});
        // An entity written before firstAttemptAt existed knows at least its own latest attempt.
        next[FLEET.firstAttemptAt] = [p.firstAttemptAt, at.startedAt, p.startedAt, p.rStartedAt].filter((t): t is string => !!t).sort()[0] ?? at.startedAt;
        // Rows whose content the new results change join those not yet written; unchanged topics cost nothing.
        if (resultsNewer) next[FLEET.aggDirty] = JSON.stringify([...new Set([...p.aggDirty, ...changedTopics(p.rTopicSigs, newSigs())])].sort());
        assertFits({ ...k, ...next }, `cluster entity of scan ${at.scanId}`);
        const h = await this.call('clusters', op, (c, o) => c.updateEntity({ ...k, ...next }, 'Replace', { ...o, etag: etagOf(current) }));
        return { etag: h.etag ?? '*', pointer: this.decoded('clusters', op, () => pointerOf({ ...k, ...next })), entity: { ...k, ...next } };
      } catch (e) {
        const s = statusOf(e);
        // 412: another worker moved it since our read; 409: another worker created it first. Read again.
        if (s !== 412 && s !== 409) throw e;
      }
      await lostRacePause(i);
    }
    throw new StoreError(this.tables.clusters, op, 412, 'ConditionNotMet', `${POINTER_ATTEMPTS} attempts lost a race with other writers`);
  }

  /**
   * Brings the cluster's rows in the topic aggregate in line with the fleet entity's results: writes
   * the rows its `aggDirty` names (a row per failing topic, a delete for a fixed one), then clears
   * `aggDirty` under the ETag the entity had when the rows were chosen. That conditional write is the
   * fence: if another worker moved the pointer meanwhile (412), the rows just written may hold older
   * results, so they are written again from the entity's new state. A crash anywhere leaves `aggDirty`
   * set, and the next save of the cluster (the redelivery, or any later attempt) finishes the job.
   */
  private async syncTopics(clusterId: string, start: FleetState, own: OwnContributions | null): Promise<void> {
    const k = keys.fleet(clusterId);
    const op = 'update topic aggregate';
    const limit = pLimit(TOPIC_WRITES);
    let state = start;
    // What this call last wrote per topic: the row's fingerprint, or null for a delete.
    let written = new Map<string, string | null>();
    for (let i = 0; i < POINTER_ATTEMPTS; i++) {
      const p = state.pointer;
      // A row written from older results is rewritten; one that already holds what the entity says is left.
      const stale = [...written].filter(([t, sig]) => (p.rTopicSigs[t] ?? null) !== sig).map(([t]) => t);
      const todo = [...new Set([...p.aggDirty, ...stale])].sort();
      if (todo.length === 0) return;
      const byTopic =
        p.rScanId === null
          ? new Map<string, TopicContribution>()
          : own?.scanId === p.rScanId
            ? own.byTopic
            : await this.storedContributions(clusterId, p.rScanId);
      const names = { clusterId: p.clusterId, subscriptionId: p.subscriptionId, resourceGroup: p.resourceGroup, name: p.name };
      written = new Map(todo.map((t) => [t, byTopic.has(t) ? contributionSig(byTopic.get(t) as TopicContribution) : null]));
      await Promise.all(
        todo.map((t) =>
          limit(async () => {
            const c = byTopic.get(t);
            if (c) {
              const row = topicRowEntity(t, names, c);
              await this.call('clusters', `${op} ${t}`, (cl, o) => cl.upsertEntity(row, 'Replace', o));
            } else {
              const row = keys.topicRow(t, clusterId);
              await this.deleteOne('clusters', `${op} ${t}`, row.partitionKey, row.rowKey);
            }
          }),
        ),
      );
      try {
        await this.call('clusters', op, (c, o) => c.updateEntity({ ...k, [FLEET.aggDirty]: '[]' }, 'Merge', { ...o, etag: state.etag }));
        return;
      } catch (e) {
        if (statusOf(e) !== 412) throw e;
      }
      await lostRacePause(i);
      const current = await this.get('clusters', 'read cluster pointer', k.partitionKey, k.rowKey);
      if (!current) return;
      state = { etag: etagOf(current), pointer: this.decoded('clusters', op, () => pointerOf(current)), entity: current };
    }
    throw new StoreError(this.tables.clusters, op, 412, 'ConditionNotMet', `${POINTER_ATTEMPTS} attempts lost a race with other writers`);
  }

  /** A stored scan's contributions to topic rows, rebuilt from its per-pool checks (for another worker's results). */
  private async storedContributions(clusterId: string, scanId: string): Promise<Map<string, TopicContribution>> {
    const scan = await this.getClusterScan(clusterId, scanId);
    return scan ? topicContributions(scan.checks) : new Map();
  }

  // ---- the fleet digest ---------------------------------------------------------------------

  /**
   * Merges records into their shards: read, join, write under the ETag read (create when new), again
   * on a lost race. Returns the records the shards hold afterwards for the clusters given.
   */
  private async joinDigests(records: readonly ClusterDigest[]): Promise<ClusterDigest[]> {
    const byShard = new Map<string, { row: { partitionKey: string; rowKey: string }; records: ClusterDigest[] }>();
    for (const r of records) {
      const row = digestShardOf(r.key, this.digestShards);
      const s = byShard.get(row.rowKey) ?? { row, records: [] };
      s.records.push(r);
      byShard.set(row.rowKey, s);
    }
    const out = await Promise.all([...byShard.values()].map((s) => this.limit(() => this.joinShard(s.row, s.records))));
    return out.flat();
  }

  private async joinShard(row: { partitionKey: string; rowKey: string }, records: readonly ClusterDigest[]): Promise<ClusterDigest[]> {
    const op = `update fleet digest shard ${row.rowKey}`;
    const mine = new Set(records.map((r) => r.key));
    for (let i = 0; i < DIGEST_ATTEMPTS; i++) {
      const current = await this.get('clusters', op, row.partitionKey, row.rowKey);
      const held = current ? this.decoded('clusters', op, () => digestRecordsOf(current)) : [];
      const next = mergeDigests([...held, ...records]);
      const after = next.filter((r) => mine.has(r.key));
      // A record the shard already holds, or one older than it holds, costs no write.
      if (current && isDeepStrictEqual(mergeDigests(held), next)) return after;
      const entity = digestShardEntity(row, next);
      assertFits(entity, `fleet digest shard ${row.rowKey}`);
      try {
        if (current) await this.call('clusters', op, (c, o) => c.updateEntity(entity, 'Replace', { ...o, etag: etagOf(current) }));
        else await this.call('clusters', op, (c, o) => c.createEntity(entity, o));
        return after;
      } catch (e) {
        const s = statusOf(e);
        // 412: another writer replaced the shard since our read; 409: another created it first. Read again.
        if (s !== 412 && s !== 409) throw e;
      }
      await lostRacePause(i);
    }
    throw new StoreError(this.tables.clusters, op, 412, 'ConditionNotMet', `${DIGEST_ATTEMPTS} attempts lost a race with other writers`);
  }

  /** Builds the digest of a fleet saved before it existed: every fleet entity joined into its shard, then the meta row. */
  private async buildDigest(): Promise<ClusterDigest[]> {
    const builtAt = new Date().toISOString();
    const op = 'build fleet digest';
    const fleet = await this.list('clusters', op, odata`PartitionKey eq ${FLEET_PARTITION}`);
    const records = this.decoded('clusters', op, () => fleet.map(digestOf));
    const joined = await this.joinDigests(records);
    await this.call('clusters', op, (c, o) => c.upsertEntity(digestMetaEntity(builtAt), 'Replace', o));
    return mergeDigests(joined);
  }

  async listClusterDigests(): Promise<ClusterDigest[]> {
    const op = 'read fleet digest';
    const rows = await this.list('clusters', op, odata`PartitionKey eq ${DIGEST_PARTITION}`);
    const meta = rows.find((r) => r['rowKey'] === DIGEST_META_ROW);
    if (!this.decoded('clusters', op, () => digestComplete(meta))) return this.buildDigest();
    return this.decoded('clusters', op, () => mergeDigests(rows.filter((r) => r !== meta).flatMap(digestRecordsOf)));
  }

  async getClusterSummaries(page: readonly string[], known: readonly string[]): Promise<ClusterSummary[]> {
    return this.readKeyRanges(FLEET_PARTITION, page, known, 'read cluster summaries', clusterSummaryOf);
  }

  async getTopicFailures(topic: string, page: readonly string[], known: readonly string[]): Promise<TopicFailure[]> {
    return this.readKeyRanges(keys.topicPartition(nonEmpty(topic, 'topic')), page, known, `read topic ${topic} rows`, topicFailureOf);
  }

  /** The page's rows of one partition, in page order: a point read or one key-range query per run of neighbours. */
  private async readKeyRanges<T>(partition: string, page: readonly string[], known: readonly string[], op: string, decode: (e: Entity) => T): Promise<T[]> {
    const wanted = new Set(page);
    // Keys of the page that follow each other in key order, with no other known key between: one range query each.
    const runs: string[][] = [];
    let run: string[] = [];
    for (const key of [...new Set([...known, ...page])].sort()) {
      if (wanted.has(key)) run.push(key);
      else if (run.length) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length) runs.push(run);
    const read = new Map<string, T>();
    const limit = pLimit(8);
    await Promise.all(
      runs.map((r) =>
        limit(async () => {
          const from = r[0] as string;
          const to = r[r.length - 1] as string;
          const rows =
            from === to
              ? [await this.get('clusters', op, partition, from)].filter((e): e is Entity => e !== null)
              : await this.list('clusters', op, odata`PartitionKey eq ${partition} and RowKey ge ${from} and RowKey le ${to}`);
          // A row written since the digest was read may lie in the range: only the page's keys are kept.
          for (const e of rows)
            if (typeof e['rowKey'] === 'string' && wanted.has(e['rowKey']))
              read.set(
                e['rowKey'],
                this.decoded('clusters', op, () => decode(e)),
              );
        }),
      ),
    );
    return page.map((k) => read.get(k)).filter((x): x is T => x !== undefined);
  }

  // ---- reading ------------------------------------------------------------------------------

  async listClusterSummaries(filter: SummaryFilter = {}): Promise<ClusterSummary[]> {
    // Values go through the odata tag, which quotes and escapes them: a filter value cannot widen the query.
    let q = odata`PartitionKey eq ${FLEET_PARTITION}`;
    if (filter.subscriptionId !== undefined) q += ` and ${where(FLEET.subscriptionIdLc, 'eq', filter.subscriptionId.toLowerCase())}`;
    if (filter.resourceGroup !== undefined) q += ` and ${where(FLEET.resourceGroupLc, 'eq', filter.resourceGroup.toLowerCase())}`;
    // The results' benchmark: a skipped or failed latest attempt chose none ('') and would hide the cluster.
    if (filter.benchmark !== undefined) q += ` and ${where(FLEET.rBenchmark, 'eq', filter.benchmark)}`;
    const rows = await this.list('clusters', 'list cluster summaries', q);
    return this.decoded('clusters', 'list cluster summaries', () => rows.map(clusterSummaryOf));
  }

  async listClustersFailing(filter: FailingFilter): Promise<ClusterSummary[]> {
    if (!filter.topic && !filter.check) throw new InputError('failing filter', 'needs a topic or a check');
    const fails = (s: ClusterSummary | null): s is ClusterSummary => {
      const r = s?.results;
      if (!r) return false;
      // The fleet entity is the truth; a row it contradicts (a topic list cut to fit aside) is not answered.
      const topic = filter.topic === undefined || r.failingTopics.includes(filter.topic) || r.failingTruncated;
      return topic && (filter.check === undefined || r.failingChecks.includes(filter.check));
    };
    if (filter.topic === undefined) return (await this.listClusterSummaries()).filter(fails);
    const rows = await this.listTopicFailures(filter.topic);
    const limit = pLimit(8);
    const summaries = await Promise.all(rows.map((r) => limit(() => this.getClusterSummary(r.clusterId))));
    return summaries.filter(fails);
  }

  async listTopicFailures(topic: string): Promise<TopicFailure[]> {
    const op = `list clusters failing topic ${topic}`;
    const rows = await this.list('clusters', op, odata`PartitionKey eq ${keys.topicPartition(nonEmpty(topic, 'topic'))}`);
    return this.decoded('clusters', op, () => rows.map(topicFailureOf));
  }

  async getClusterSummary(clusterId: string): Promise<ClusterSummary | null> {
    const k = keys.fleet(clusterId);
    const op = 'read cluster summary';
    const e = await this.get('clusters', op, k.partitionKey, k.rowKey);
    return e ? this.decoded('clusters', op, () => clusterSummaryOf(e)) : null;
  }

  async getClusterPointers(clusterId: string): Promise<ClusterPointers | null> {
    const k = keys.fleet(clusterId);
    const op = 'read cluster pointer';
    const pointer = await this.get('clusters', op, k.partitionKey, k.rowKey, [...POINTER_SELECT]);
    if (!pointer) return null;
    const p = this.decoded('clusters', op, () => pointerOf(pointer));
    return { scanId: p.scanId, resultsScanId: p.rScanId };
  }

  async getClusterLatest(clusterId: string): Promise<StoredClusterScan | null> {
    const p = await this.getClusterPointers(clusterId);
    return p ? this.getClusterScan(clusterId, p.scanId) : null;
  }

  async getClusterLatestResults(clusterId: string): Promise<StoredClusterScan | null> {
    const p = await this.getClusterPointers(clusterId);
    return p?.resultsScanId ? this.getClusterScan(clusterId, p.resultsScanId) : null;
  }

  async getClusterScan(clusterId: string, scanId: string): Promise<StoredClusterScan | null> {
    const k = keys.scan(clusterId, scanId);
    const op = `read scan ${scanId}`;
    const header = await this.get('scans', op, k.partitionKey, k.rowKey);
    if (!header) return null;
    let overflow: Entity[] = [];
    if (this.decoded('scans', op, () => overflowParts(header)) > 0) {
      const range = prefixRange(DETAILS_ROW_PREFIX);
      const pk = keys.nodesPartition(clusterId, scanId);
      overflow = await this.list('nodes', `read details of scan ${scanId}`, odata`PartitionKey eq ${pk} and RowKey ge ${range.from} and RowKey lt ${range.to}`);
    }
    return this.decoded('scans', op, () => ({ ...scanTotalsOf(header), ...scanDetailsOf(header, overflow) }));
  }

  async getClusterHistory(clusterId: string, limit: number): Promise<ScanTotals[]> {
    positiveInt(limit, 'history limit', 10_000);
    const rows = await this.list('scans', 'read cluster history', odata`PartitionKey eq ${clusterKey(clusterId)}`, { select: [...SCAN_HISTORY_SELECT] });
    const out = this.decoded('scans', 'read cluster history', () => rows.map(scanTotalsOf));
    out.sort((a, b) => -compareAttempt(a, b));
    return out.slice(0, limit);
  }

  async getNodeResult(clusterId: string, scanId: string, node: string): Promise<ScannedNode | null> {
    const pk = keys.nodesPartition(clusterId, scanId);
    const range = prefixRange(keys.nodePrefix(node));
    const op = `read node ${node} of scan ${scanId}`;
    const rows = await this.list('nodes', op, odata`PartitionKey eq ${pk} and RowKey ge ${range.from} and RowKey lt ${range.to}`);
    if (rows.length === 0) return null;
    return this.decoded('nodes', op, () => nodeResultOf(rows));
  }

  async listScanTotalsSince(since: string, max: number): Promise<ScanTotals[]> {
    positiveInt(max, 'scan window limit', 100_000);
    const op = 'list recent scans';
    const rows = await this.list('scans', op, where(SCAN_STARTED_AT, 'ge', since), { select: [...SCAN_HISTORY_SELECT], max });
    return this.decoded('scans', op, () => rows.map(scanTotalsOf));
  }

  async listRunScanTotals(runId: string, max: number): Promise<ScanTotals[]> {
    positiveInt(max, 'run scan limit', 100_000);
    const op = `list the scans of run ${runId}`;
    const rows = await this.list('scans', op, where('runId', 'eq', nonEmpty(runId, 'run id')), { select: [...SCAN_HISTORY_SELECT], max });
    return this.decoded('scans', op, () => rows.map(scanTotalsOf));
  }

  async getRunRollup(runId: string): Promise<RunRollup | null> {
    const k = runRollupKeys(nonEmpty(runId, 'run id'));
    const e = await this.get('runs', `read the rollup of run ${runId}`, k.partitionKey, k.rowKey);
    return e ? this.decoded('runs', `read the rollup of run ${runId}`, () => runRollupOf(e)) : null;
  }

  async saveRunRollup(rollup: RunRollup): Promise<boolean> {
    const e = runRollupEntity(rollup);
    if (!e) return false;
    await this.call('runs', `save the rollup of run ${rollup.runId}`, (c, o) => c.upsertEntity(e, 'Replace', o));
    return true;
  }

  // ---- retention ----------------------------------------------------------------------------

  async pruneHistory(now: Date, retentionDays: number): Promise<PruneResult> {
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new InputError('prune time', 'is not a valid Date');
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) throw new InputError('retention days', `must be a positive number, got ${retentionDays}`);
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
    const result: PruneResult = { deleted: 0, runsDeleted: 0, entitiesDeleted: 0 };

    const pointers = await this.list('clusters', 'list clusters to prune', odata`PartitionKey eq ${FLEET_PARTITION}`, { select: [...KEEP_SELECT] });
    const kept = this.decoded('clusters', 'list clusters to prune', () => pointers.map(keptScansOf));
    await Promise.all(
      kept.map(({ clusterKey: pk, keep }) =>
        this.limit(async () => {
          const old = await this.list('scans', 'list old scans', `${where('PartitionKey', 'eq', pk)} and ${where(SCAN_STARTED_AT, 'lt', cutoff)}`, {
            select: [...SCAN_ID_SELECT],
          });
          for (const s of old) {
            const scanId = this.decoded('scans', 'list old scans', () => scanIdOf(s));
            if (keep.has(scanId)) continue;
            // Node results first, the header last: if we stop half-way, the header is still there to find the rest next time.
            const nodesPk = keys.nodesPartitionOf(pk, scanId);
            const rows = await this.list('nodes', `list node results of scan ${scanId}`, odata`PartitionKey eq ${nodesPk}`, { select: [...KEYS_SELECT] });
            await this.writeAll('nodes', `delete node results of scan ${scanId}`, 'delete', rows.map(keysOf));
            const h = keysOf(s);
            await this.deleteOne('scans', `delete scan ${scanId}`, h.partitionKey, h.rowKey);
            result.deleted++;
            result.entitiesDeleted += rows.length + 1;
          }
        }),
      ),
    );

    const oldRuns = await this.list('runs', 'list old runs', `${where('PartitionKey', 'eq', RUN_INDEX_PARTITION)} and ${where(RUN.startedAt, 'lt', cutoff)}`, {
      select: [...KEYS_SELECT, RUN.runId],
    });
    await Promise.all(
      oldRuns.map((run) =>
        this.limit(async () => {
          const runPk = keys.runPartition(this.decoded('runs', 'list old runs', () => indexedRunId(run)));
          const rows = (await this.list('runs', 'list old run', odata`PartitionKey eq ${runPk}`, { select: [...KEYS_SELECT] })).map(keysOf);
          // Cluster rows before the header, the index last, for the same reason as above.
          const ordered = [...rows.filter((r) => r.rowKey !== RUN_HEADER_ROW), ...rows.filter((r) => r.rowKey === RUN_HEADER_ROW)];
          await this.writeAll('runs', 'delete old run', 'delete', ordered);
          const runId = this.decoded('runs', 'list old runs', () => indexedRunId(run));
          result.entitiesDeleted += await this.steps.forgetRun(runId);
          // The trend's summary row of the run lives in its own partition (codec/run-rollup.ts).
          const rollup = runRollupKeys(runId);
          if (await this.deleteOne('runs', `delete the rollup of run ${runId}`, rollup.partitionKey, rollup.rowKey)) result.entitiesDeleted++;
          const idx = keysOf(run);
          await this.deleteOne('runs', 'delete run index', idx.partitionKey, idx.rowKey);
          result.runsDeleted++;
          result.entitiesDeleted += rows.length + 1;
        }),
      ),
    );
    return result;
  }
}
