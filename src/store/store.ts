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
import pLimit from 'p-limit';
import { FAIL_REASONS, SKIP_REASONS, type ClusterScan, type FailReason, type ScannedNode, type SkipReason } from '../model/cluster.js';
import { InputError } from '../model/errors.js';
import type { NodeFailure } from '../model/result.js';
import { entityWireSize, planBatches } from './batch.js';
import { chunkProps, pack, readChunks, unpack } from './blob.js';
import { createTableClient, type RetryOptions } from './clients.js';
import { createRequestCounter, type PipelinePolicy, type RequestCounter } from './counter.js';
import { bool, CorruptEntityError, json, num, optStr, str, totalsOf, totalsProps, type Entity } from './entities.js';
import { statusOf, StoreError, toStoreError } from './errors.js';
import { clusterKey, prefixRange } from './keys.js';
import { keys, RUN_HEADER_ROW, RUN_INDEX_PARTITION, FLEET_PARTITION, tableNames, DETAILS_ROW_PREFIX, type TableNames } from './layout.js';
import { fitList, rollup } from './rollup.js';
import type { StorageTarget } from './target.js';
import type {
  ClusterPointers,
  ClusterResultsSummary,
  ClusterSummary,
  Classifier,
  FailingFilter,
  OutcomeKind,
  PruneResult,
  RunRecord,
  RunStart,
  RunTrigger,
  ScanTotals,
  StoredCheck,
  StoredClusterScan,
  StoredNode,
  StoredOutcome,
  SummaryFilter,
} from './types.js';

export interface Store {
  readonly tables: TableNames;
  /** Requests sent by this store's clients (every attempt, retries included). */
  readonly requests: RequestCounter;
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
  /** Clusters whose latest results fail a topic or a check; from the same partition. */
  listClustersFailing(filter: FailingFilter): Promise<ClusterSummary[]>;
  /** The cluster's latest attempt and latest results scan ids, from one point read; null for an unknown cluster. */
  getClusterPointers(clusterId: string): Promise<ClusterPointers | null>;
  getClusterLatest(clusterId: string): Promise<StoredClusterScan | null>;
  /** The latest attempt that scanned (the fleet entity's rScanId), whatever the attempts after it; null when none did. */
  getClusterLatestResults(clusterId: string): Promise<StoredClusterScan | null>;
  getClusterScan(clusterId: string, scanId: string): Promise<StoredClusterScan | null>;
  /** Newest first. */
  getClusterHistory(clusterId: string, limit: number): Promise<ScanTotals[]>;
  getNodeResult(clusterId: string, scanId: string, node: string): Promise<ScannedNode | null>;
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

/** Longest free-text detail kept on an entity. */
const MAX_DETAIL_CHARS = 4000;
/** Chunks of scan details kept inline on the header; the rest goes to Nodes as `~details~n`. */
const HEADER_DETAIL_CHUNKS = 8;
const POINTER_ATTEMPTS = 5;

const HISTORY_SELECT = [
  'clusterId',
  'scanId',
  'runId',
  'benchmark',
  'startedAt',
  'finishedAt',
  'outcome',
  'reason',
  'detail',
  'pass',
  'fail',
  'warn',
  'info',
  'nodes',
  'nodeFailures',
  'triage',
];

interface ScanDetails {
  cluster: StoredClusterScan['cluster'];
  nodeList: StoredNode[];
  nodeFailureList: NodeFailure[];
  checks: StoredCheck[];
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

function outcomeOf(e: Entity): StoredOutcome {
  const kind = str(e, 'outcome');
  if (kind === 'scanned') return { kind };
  const reason = str(e, 'reason');
  const detail = optStr(e, 'detail') ?? '';
  if (kind === 'skipped' && (SKIP_REASONS as readonly string[]).includes(reason)) return { kind, reason: reason as SkipReason, detail };
  if (kind === 'failed' && (FAIL_REASONS as readonly string[]).includes(reason)) return { kind, reason: reason as FailReason, detail };
  throw new CorruptEntityError(`outcome ${kind} with reason ${reason} is not known`);
}

function isNotFound(e: unknown): boolean {
  return statusOf(e) === 404;
}

class TableStore implements Store {
  private readonly timeoutMs: number;
  private readonly listTimeoutMs: number;
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    private readonly clients: StoreClients,
    readonly tables: TableNames,
    readonly requests: RequestCounter,
    opts: StoreOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.listTimeoutMs = opts.listTimeoutMs ?? 120_000;
    this.limit = pLimit(opts.concurrency ?? 4);
  }

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

  private async deleteOne(table: keyof TableNames, operation: string, partitionKey: string, rowKey: string): Promise<void> {
    try {
      await this.call(table, operation, (c, o) => c.deleteEntity(partitionKey, rowKey, o));
    } catch (e) {
      // Already gone is what we wanted.
      if (!isNotFound(e)) throw e;
    }
  }

  // ---- tables and runs ----------------------------------------------------------------------

  async ensureTables(): Promise<void> {
    for (const t of Object.keys(this.tables) as (keyof TableNames)[]) {
      await this.call(t, 'create table', (c, o) => c.createTable(o));
    }
  }

  async startRun(run: RunStart): Promise<void> {
    const runId = nonEmpty(run.runId, 'run id');
    if (!['timer', 'http', 'cli'].includes(run.trigger)) throw new InputError('run trigger', `"${String(run.trigger)}" is not timer, http or cli`);
    const startedAt = isoTime(run.startedAt, 'run startedAt');
    if (!Number.isInteger(run.queued) || run.queued < 0) throw new InputError('run queued', `must be a whole number, got ${run.queued}`);
    const body = { runId, trigger: run.trigger, startedAt, queued: run.queued };
    // Header before index: a run is listed only once its header can be read.
    await this.call('runs', 'start run', (c, o) => c.upsertEntity({ partitionKey: keys.runPartition(runId), rowKey: RUN_HEADER_ROW, ...body }, 'Replace', o));
    await this.call('runs', 'index run', (c, o) => c.upsertEntity({ ...keys.runIndex(runId, startedAt), ...body }, 'Replace', o));
  }

  async recordClusterDone(runId: string, clusterId: string, outcome: OutcomeKind): Promise<void> {
    nonEmpty(runId, 'run id');
    nonEmpty(clusterId, 'cluster id');
    if (!['scanned', 'skipped', 'failed'].includes(outcome)) throw new InputError('cluster outcome', `"${String(outcome)}" is not scanned, skipped or failed`);
    const entity = { partitionKey: keys.runPartition(runId), rowKey: keys.runCluster(clusterId), clusterId, outcome };
    await this.call('runs', 'record cluster done', (c, o) => c.upsertEntity(entity, 'Replace', o));
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const rows = await this.list('runs', 'read run', odata`PartitionKey eq ${keys.runPartition(nonEmpty(runId, 'run id'))}`, {
      select: ['rowKey', 'timestamp', 'runId', 'trigger', 'startedAt', 'queued', 'outcome'],
    });
    return this.runFromRows(rows);
  }

  private runFromRows(rows: Entity[]): RunRecord | null {
    const header = rows.find((r) => r['rowKey'] === RUN_HEADER_ROW);
    if (!header) return null;
    let scanned = 0;
    let skipped = 0;
    let failed = 0;
    let last: string | null = null;
    for (const r of rows) {
      if (r === header) continue;
      const o = r['outcome'];
      if (o === 'scanned') scanned++;
      else if (o === 'skipped') skipped++;
      else if (o === 'failed') failed++;
      const ts = typeof r['timestamp'] === 'string' ? new Date(r['timestamp']).toISOString() : null;
      if (ts && (!last || ts > last)) last = ts;
    }
    const queued = num(header, 'queued');
    const done = scanned + skipped + failed;
    return {
      runId: str(header, 'runId'),
      trigger: str(header, 'trigger') as RunTrigger,
      startedAt: str(header, 'startedAt'),
      queued,
      done,
      scanned,
      skipped,
      failed,
      pending: Math.max(0, queued - done),
      complete: done >= queued,
      lastReportAt: last,
    };
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    positiveInt(limit, 'run list limit', 1000);
    const index = await this.list('runs', 'list runs', odata`PartitionKey eq ${RUN_INDEX_PARTITION}`, { select: ['runId'], max: limit });
    const runs = await Promise.all(index.map((i) => this.limit(() => this.getRun(str(i, 'runId')))));
    return runs.filter((r): r is RunRecord => r !== null);
  }

  // ---- saving a scan ------------------------------------------------------------------------

  async saveClusterScan(scan: ClusterScan, ids: { runId: string; scanId: string }, classify: Classifier): Promise<void> {
    const runId = nonEmpty(ids.runId, 'run id');
    const scanId = nonEmpty(ids.scanId, 'scan id');
    const c = scan.cluster;
    const clusterId = nonEmpty(c.id, 'cluster id');
    const startedAt = isoTime(scan.startedAt, `scan ${scanId} startedAt`);
    const finishedAt = isoTime(scan.finishedAt, `scan ${scanId} finishedAt`);
    const o = scan.outcome;
    const nodes = o.kind === 'scanned' ? o.nodes : [];
    const seen = new Set<string>();
    for (const n of nodes) {
      nonEmpty(n.name, `a node name in scan ${scanId}`);
      if (seen.has(n.name)) throw new InputError(`scan ${scanId}`, `node ${n.name} appears twice`);
      seen.add(n.name);
    }

    // Everything is computed before the first write, so a bad input or a classifier error writes nothing.
    const r = rollup(scan, classify);
    const cluster = {
      id: clusterId,
      subscriptionId: c.subscriptionId,
      resourceGroup: c.resourceGroup,
      name: c.name,
      location: c.location,
      kubernetesVersion: c.kubernetesVersion,
    };
    const details: ScanDetails = { cluster, nodeList: r.nodes, nodeFailureList: o.kind === 'scanned' ? o.nodeFailures : [], checks: r.checks };
    const nodesPk = keys.nodesPartition(clusterId, scanId);

    const nodeEntities: TableEntity<Entity>[] = [];
    for (const n of nodes) {
      const p = pack(n);
      p.parts.forEach((chunks, i) => {
        nodeEntities.push({
          partitionKey: nodesPk,
          rowKey: keys.nodePart(n.name, i),
          node: n.name,
          pool: n.pool ?? '',
          part: i,
          parts: p.parts.length,
          bytes: p.bytes,
          sha256: p.sha256,
          chunks: chunks.length,
          ...chunkProps(chunks),
        });
      });
    }
    const d = pack(details, HEADER_DETAIL_CHUNKS);
    const [inline = [], ...overflow] = d.parts;
    overflow.forEach((chunks, i) => {
      nodeEntities.push({ partitionKey: nodesPk, rowKey: keys.detailsPart(i + 1), part: i + 1, chunks: chunks.length, ...chunkProps(chunks) });
    });

    const reason = o.kind === 'scanned' ? '' : o.reason;
    const detail = o.kind === 'scanned' ? '' : o.detail.slice(0, MAX_DETAIL_CHARS);
    const header: TableEntity<Entity> = {
      ...keys.scan(clusterId, scanId),
      clusterId,
      scanId,
      runId,
      benchmark: scan.benchmark ?? '',
      startedAt,
      finishedAt,
      outcome: o.kind,
      reason,
      detail,
      ...totalsProps(r.totals),
      nodes: r.nodes.length,
      nodeFailures: details.nodeFailureList.length,
      triage: JSON.stringify(r.triage),
      detailsBytes: d.bytes,
      detailsSha256: d.sha256,
      detailsChunks: inline.length,
      detailsParts: d.parts.length,
      ...chunkProps(inline, 'c'),
    };

    await this.writeAll('nodes', `save node results of scan ${scanId}`, 'upsert', nodeEntities);
    await this.call('scans', `save scan ${scanId}`, (cl, opt) => cl.upsertEntity(header, 'Replace', opt));

    const topics = fitList(r.failingTopics);
    const checks = fitList(r.failingChecks);
    const attempt: Entity = {
      clusterId,
      subscriptionId: c.subscriptionId,
      subscriptionIdLc: c.subscriptionId.toLowerCase(),
      resourceGroup: c.resourceGroup,
      resourceGroupLc: c.resourceGroup.toLowerCase(),
      name: c.name,
      location: c.location,
      kubernetesVersion: c.kubernetesVersion,
      // Tags ride on the per-cluster entity so tag filters need no other read (ARM allows 50 tags of 512 chars).
      tags: JSON.stringify(c.tags ?? {}),
      outcome: o.kind,
      reason,
      detail,
      benchmark: scan.benchmark ?? '',
      scanId,
      runId,
      startedAt,
      finishedAt,
    };
    const results: Entity | null =
      o.kind !== 'scanned'
        ? null
        : {
            rScanId: scanId,
            rStartedAt: startedAt,
            rFinishedAt: finishedAt,
            rBenchmark: scan.benchmark ?? '',
            ...totalsProps(r.totals, 'r'),
            rNodes: r.nodes.length,
            rNodeFailures: details.nodeFailureList.length,
            rPools: JSON.stringify(r.pools),
            rTriage: JSON.stringify(r.triage),
            rTopics: topics.json,
            rChecks: checks.json,
            rTruncated: topics.truncated || checks.truncated,
          };
    await this.movePointer(clusterId, { startedAt, scanId }, attempt, results);
  }

  /**
   * Moves the fleet entity forward: the attempt fields when this attempt is the newest, the results
   * fields when this is the newest scanned attempt. ETag-guarded, retried a few times on a race.
   */
  private async movePointer(clusterId: string, at: { startedAt: string; scanId: string }, attempt: Entity, results: Entity | null): Promise<void> {
    const k = keys.fleet(clusterId);
    for (let i = 0; i < POINTER_ATTEMPTS; i++) {
      const current = await this.get('clusters', 'read cluster pointer', k.partitionKey, k.rowKey);
      const op = 'move cluster pointer';
      try {
        if (!current) {
          await this.call('clusters', op, (c, o) => c.createEntity({ ...k, ...attempt, ...(results ?? {}), firstAttemptAt: at.startedAt }, o));
          return;
        }
        const attemptNewer = compareAttempt(at, { startedAt: str(current, 'startedAt'), scanId: str(current, 'scanId') }) >= 0;
        const currentResults = optStr(current, 'rScanId');
        const resultsNewer =
          results !== null && (currentResults === null || compareAttempt(at, { startedAt: str(current, 'rStartedAt'), scanId: currentResults }) >= 0);
        // A late older attempt still moves the first-attempt time back: staleness of a never-scanned cluster counts from it.
        const first = optStr(current, 'firstAttemptAt');
        const firstEarlier = first === null || at.startedAt < first;
        if (!attemptNewer && !resultsNewer && !firstEarlier) return;
        const next: Entity = {};
        for (const [key, v] of Object.entries(current)) {
          if (!['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata', 'odata.etag'].includes(key)) next[key] = v;
        }
        Object.assign(next, attemptNewer ? attempt : {}, resultsNewer ? results : {});
        // An entity written before firstAttemptAt existed knows at least its own latest attempt.
        next['firstAttemptAt'] =
          [first, at.startedAt, optStr(current, 'startedAt'), optStr(current, 'rStartedAt')].filter((t): t is string => !!t).sort()[0] ?? at.startedAt;
        const etag = typeof current['etag'] === 'string' ? current['etag'] : '*';
        await this.call('clusters', op, (c, o) => c.updateEntity({ ...k, ...next }, 'Replace', { ...o, etag }));
        return;
      } catch (e) {
        const s = statusOf(e);
        // 412: another worker moved it since our read; 409: another worker created it first. Read again.
        if (s !== 412 && s !== 409) throw e;
      }
    }
    throw new StoreError(this.tables.clusters, 'move cluster pointer', 412, 'ConditionNotMet', `${POINTER_ATTEMPTS} attempts lost a race with other writers`);
  }

  // ---- reading ------------------------------------------------------------------------------

  private summaryOf(e: Entity): ClusterSummary {
    const out = outcomeOf(e);
    const rScanId = optStr(e, 'rScanId');
    const results: ClusterResultsSummary | null =
      rScanId === null
        ? null
        : {
            scanId: rScanId,
            finishedAt: str(e, 'rFinishedAt'),
            benchmark: optStr(e, 'rBenchmark'),
            totals: totalsOf(e, 'r'),
            nodes: num(e, 'rNodes'),
            nodeFailures: num(e, 'rNodeFailures'),
            pools: json<string[]>(e, 'rPools', []),
            triage: json<Record<string, number>>(e, 'rTriage', {}),
            failingTopics: json<string[]>(e, 'rTopics', []),
            failingChecks: json<string[]>(e, 'rChecks', []),
            failingTruncated: bool(e, 'rTruncated'),
          };
    return {
      clusterId: str(e, 'clusterId'),
      subscriptionId: str(e, 'subscriptionId'),
      resourceGroup: str(e, 'resourceGroup'),
      name: str(e, 'name'),
      location: str(e, 'location'),
      kubernetesVersion: str(e, 'kubernetesVersion'),
      tags: json<Record<string, string>>(e, 'tags', {}),
      outcome: out.kind,
      reason: out.kind === 'scanned' ? null : out.reason,
      detail: out.kind === 'scanned' ? null : out.detail,
      benchmark: optStr(e, 'benchmark'),
      scanId: str(e, 'scanId'),
      runId: str(e, 'runId'),
      startedAt: str(e, 'startedAt'),
      finishedAt: str(e, 'finishedAt'),
      firstAttemptAt: optStr(e, 'firstAttemptAt') ?? str(e, 'startedAt'),
      results,
    };
  }

  private readSummary(e: Entity, operation: string): ClusterSummary {
    try {
      return this.summaryOf(e);
    } catch (err) {
      throw new StoreError(
        this.tables.clusters,
        operation,
        undefined,
        'CorruptEntity',
        `cluster entity ${String(e['rowKey'])}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  async listClusterSummaries(filter: SummaryFilter = {}): Promise<ClusterSummary[]> {
    // Values go through the odata tag, which quotes and escapes them: a filter value cannot widen the query.
    let q = odata`PartitionKey eq ${FLEET_PARTITION}`;
    if (filter.subscriptionId !== undefined) q += odata` and subscriptionIdLc eq ${filter.subscriptionId.toLowerCase()}`;
    if (filter.resourceGroup !== undefined) q += odata` and resourceGroupLc eq ${filter.resourceGroup.toLowerCase()}`;
    // The results' benchmark: a skipped or failed latest attempt chose none ('') and would hide the cluster.
    if (filter.benchmark !== undefined) q += odata` and rBenchmark eq ${filter.benchmark}`;
    const rows = await this.list('clusters', 'list cluster summaries', q);
    return rows.map((e) => this.readSummary(e, 'list cluster summaries'));
  }

  async listClustersFailing(filter: FailingFilter): Promise<ClusterSummary[]> {
    if (!filter.topic && !filter.check) throw new InputError('failing filter', 'needs a topic or a check');
    const all = await this.listClusterSummaries();
    return all.filter((s) => {
      const r = s.results;
      if (!r) return false;
      return (filter.topic === undefined || r.failingTopics.includes(filter.topic)) && (filter.check === undefined || r.failingChecks.includes(filter.check));
    });
  }

  async getClusterPointers(clusterId: string): Promise<ClusterPointers | null> {
    const k = keys.fleet(clusterId);
    const pointer = await this.get('clusters', 'read cluster pointer', k.partitionKey, k.rowKey, ['scanId', 'rScanId']);
    const scanId = pointer ? optStr(pointer, 'scanId') : null;
    return pointer && scanId ? { scanId, resultsScanId: optStr(pointer, 'rScanId') } : null;
  }

  async getClusterLatest(clusterId: string): Promise<StoredClusterScan | null> {
    const p = await this.getClusterPointers(clusterId);
    return p ? this.getClusterScan(clusterId, p.scanId) : null;
  }

  async getClusterLatestResults(clusterId: string): Promise<StoredClusterScan | null> {
    const p = await this.getClusterPointers(clusterId);
    return p?.resultsScanId ? this.getClusterScan(clusterId, p.resultsScanId) : null;
  }

  private totalsOfHeader(e: Entity): ScanTotals {
    return {
      clusterId: str(e, 'clusterId'),
      scanId: str(e, 'scanId'),
      runId: str(e, 'runId'),
      benchmark: optStr(e, 'benchmark'),
      startedAt: str(e, 'startedAt'),
      finishedAt: str(e, 'finishedAt'),
      outcome: outcomeOf(e),
      totals: totalsOf(e),
      nodes: num(e, 'nodes'),
      nodeFailures: num(e, 'nodeFailures'),
      triage: json<Record<string, number>>(e, 'triage', {}),
    };
  }

  async getClusterScan(clusterId: string, scanId: string): Promise<StoredClusterScan | null> {
    const k = keys.scan(clusterId, scanId);
    const op = `read scan ${scanId}`;
    const header = await this.get('scans', op, k.partitionKey, k.rowKey);
    if (!header) return null;
    try {
      const parts = num(header, 'detailsParts');
      const chunks = readChunks(header, num(header, 'detailsChunks'), 'c');
      if (!chunks) throw new CorruptEntityError('a details chunk is missing');
      if (parts > 1) {
        const pk = keys.nodesPartition(clusterId, scanId);
        const range = prefixRange(DETAILS_ROW_PREFIX);
        const rows = await this.list(
          'nodes',
          `read details of scan ${scanId}`,
          odata`PartitionKey eq ${pk} and RowKey ge ${range.from} and RowKey lt ${range.to}`,
        );
        rows.sort((a, b) => num(a, 'part') - num(b, 'part'));
        if (rows.length !== parts - 1) throw new CorruptEntityError(`expected ${parts - 1} details parts, found ${rows.length}`);
        for (const row of rows) {
          const more = readChunks(row, num(row, 'chunks'));
          if (!more) throw new CorruptEntityError('a details chunk is missing');
          chunks.push(...more);
        }
      }
      const details = unpack(chunks, num(header, 'detailsBytes'), str(header, 'detailsSha256')) as ScanDetails;
      return {
        ...this.totalsOfHeader(header),
        cluster: details.cluster,
        nodeList: details.nodeList,
        nodeFailureList: details.nodeFailureList,
        checks: details.checks,
      };
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(this.tables.scans, op, undefined, 'CorruptEntity', e instanceof Error ? e.message : String(e));
    }
  }

  async getClusterHistory(clusterId: string, limit: number): Promise<ScanTotals[]> {
    positiveInt(limit, 'history limit', 10_000);
    const rows = await this.list('scans', 'read cluster history', odata`PartitionKey eq ${clusterKey(clusterId)}`, { select: HISTORY_SELECT });
    const out = rows.map((e) => this.totalsOfHeader(e));
    out.sort((a, b) => -compareAttempt(a, b));
    return out.slice(0, limit);
  }

  async getNodeResult(clusterId: string, scanId: string, node: string): Promise<ScannedNode | null> {
    const pk = keys.nodesPartition(clusterId, scanId);
    const range = prefixRange(keys.nodePrefix(node));
    const op = `read node ${node} of scan ${scanId}`;
    const rows = await this.list('nodes', op, odata`PartitionKey eq ${pk} and RowKey ge ${range.from} and RowKey lt ${range.to}`);
    if (rows.length === 0) return null;
    try {
      rows.sort((a, b) => num(a, 'part') - num(b, 'part'));
      const first = rows[0] as Entity;
      const parts = num(first, 'parts');
      // Rows beyond `parts` are left from an earlier, larger write of the same scan: ignore them.
      const used = rows.slice(0, parts);
      if (used.length !== parts || used.some((r, i) => num(r, 'part') !== i)) throw new CorruptEntityError(`expected ${parts} parts, found ${rows.length}`);
      const chunks: Uint8Array[] = [];
      for (const row of used) {
        const c = readChunks(row, num(row, 'chunks'));
        if (!c) throw new CorruptEntityError('a chunk is missing');
        chunks.push(...c);
      }
      return unpack(chunks, num(first, 'bytes'), str(first, 'sha256')) as ScannedNode;
    } catch (e) {
      throw new StoreError(this.tables.nodes, op, undefined, 'CorruptEntity', e instanceof Error ? e.message : String(e));
    }
  }

  // ---- retention ----------------------------------------------------------------------------

  async pruneHistory(now: Date, retentionDays: number): Promise<PruneResult> {
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new InputError('prune time', 'is not a valid Date');
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) throw new InputError('retention days', `must be a positive number, got ${retentionDays}`);
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
    const result: PruneResult = { deleted: 0, runsDeleted: 0, entitiesDeleted: 0 };

    const pointers = await this.list('clusters', 'list clusters to prune', odata`PartitionKey eq ${FLEET_PARTITION}`, {
      select: ['clusterId', 'scanId', 'rScanId'],
    });
    await Promise.all(
      pointers.map((p) =>
        this.limit(async () => {
          const clusterId = str(p, 'clusterId');
          const keep = new Set([optStr(p, 'scanId'), optStr(p, 'rScanId')]);
          const pk = clusterKey(clusterId);
          const old = await this.list('scans', 'list old scans', odata`PartitionKey eq ${pk} and startedAt lt ${cutoff}`, {
            select: ['partitionKey', 'rowKey', 'scanId'],
          });
          for (const s of old) {
            const scanId = str(s, 'scanId');
            if (keep.has(scanId)) continue;
            // Node results first, the header last: if we stop half-way, the header is still there to find the rest next time.
            const nodesPk = keys.nodesPartition(clusterId, scanId);
            const rows = await this.list('nodes', `list node results of scan ${scanId}`, odata`PartitionKey eq ${nodesPk}`, {
              select: ['partitionKey', 'rowKey'],
            });
            await this.writeAll(
              'nodes',
              `delete node results of scan ${scanId}`,
              'delete',
              rows.map((r) => ({ partitionKey: str(r, 'partitionKey'), rowKey: str(r, 'rowKey') })),
            );
            await this.deleteOne('scans', `delete scan ${scanId}`, str(s, 'partitionKey'), str(s, 'rowKey'));
            result.deleted++;
            result.entitiesDeleted += rows.length + 1;
          }
        }),
      ),
    );

    const oldRuns = await this.list('runs', 'list old runs', odata`PartitionKey eq ${RUN_INDEX_PARTITION} and startedAt lt ${cutoff}`, {
      select: ['partitionKey', 'rowKey', 'runId'],
    });
    await Promise.all(
      oldRuns.map((run) =>
        this.limit(async () => {
          const runPk = keys.runPartition(str(run, 'runId'));
          const rows = await this.list('runs', 'list old run', odata`PartitionKey eq ${runPk}`, { select: ['partitionKey', 'rowKey'] });
          // Cluster rows before the header, the index last, for the same reason as above.
          const ordered = [...rows.filter((r) => r['rowKey'] !== RUN_HEADER_ROW), ...rows.filter((r) => r['rowKey'] === RUN_HEADER_ROW)];
          await this.writeAll(
            'runs',
            'delete old run',
            'delete',
            ordered.map((r) => ({ partitionKey: str(r, 'partitionKey'), rowKey: str(r, 'rowKey') })),
          );
          await this.deleteOne('runs', 'delete run index', str(run, 'partitionKey'), str(run, 'rowKey'));
          result.runsDeleted++;
          result.entitiesDeleted += rows.length + 1;
        }),
      ),
    );
    return result;
  }
}
