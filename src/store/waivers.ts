/**
 * The waivers table: waivers managed over HTTP (PUT/DELETE /api/waivers/{id}) and by `waivers
 * import`, each change written together with its history row in one transaction (codec/waiver.ts).
 * Writes are guarded by the `current` row's ETag: a client's If-Match is passed through (412 when
 * stale), and without one the store reads, writes under the ETag it read, and reads again when it
 * lost a race, so a history row's "before" is always the waiver that was replaced.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { errorMessage } from '../model/errors.js';
import type { TableWaiver, Waiver, WaiverChange } from '../model/knowledge.js';
import { createTableClient, type RetryOptions } from './clients.js';
import {
  changeEntity,
  changeOf,
  CURRENT_ROW,
  currentEntity,
  HISTORY_PREFIX,
  idOfPartition,
  tableWaiverOf,
  versionOf,
  waiverPartition,
} from './codec/waiver.js';
import { where, type Entity } from './codec/values.js';
import { createRequestCounter, type RequestCounter } from './counter.js';
import { statusOf, StoreError, toStoreError } from './errors.js';
import { prefixRange } from './keys.js';
import type { StorageTarget } from './target.js';

export interface StoredWaiver {
  waiver: TableWaiver;
  /** The `current` row's ETag, for If-Match. */
  etag: string;
}

/** A write's precondition: If-Match (an ETag, or "*": it must exist) and If-None-Match: * (it must not). */
export interface WaiverCondition {
  ifMatch?: string;
  ifNoneMatch?: boolean;
}

export interface WaiverAuthor {
  /** ISO time. */
  at: string;
  by: string;
}

/** The precondition failed (412), or the waiver is not there (404). */
export class WaiverWriteError extends Error {
  override readonly name = 'WaiverWriteError';
  constructor(
    readonly status: 404 | 412,
    message: string,
  ) {
    super(message);
  }
}

export interface WaiverTable {
  readonly table: string;
  readonly requests: RequestCounter;
  ensureTable(): Promise<void>;
  /** Every waiver of the table (not the deleted ones), ordered by id. */
  list(): Promise<StoredWaiver[]>;
  get(id: string): Promise<StoredWaiver | null>;
  put(waiver: Waiver, author: WaiverAuthor, condition?: WaiverCondition): Promise<{ stored: StoredWaiver; before: TableWaiver | null }>;
  remove(id: string, author: WaiverAuthor, condition?: WaiverCondition): Promise<TableWaiver>;
  /** Oldest first. */
  history(id: string): Promise<WaiverChange[]>;
}

export interface WaiverTableOptions {
  /** Table name prefix, as the results store's; default "aksfs" (table aksfsWaivers). */
  tablePrefix?: string;
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  counter?: RequestCounter;
}

/** Reads again after a lost race this many times, then gives up with a 503-class StoreError. */
const RACE_ATTEMPTS = 5;

export function waiverTableName(prefix = 'aksfs'): string {
  return `${prefix}Waivers`;
}

export function createWaiverTable(target: StorageTarget, opts: WaiverTableOptions = {}): WaiverTable {
  const counter = opts.counter ?? createRequestCounter();
  const table = waiverTableName(opts.tablePrefix);
  const client = createTableClient(target, table, { counter, ...(opts.retry ? { retry: opts.retry } : {}) });
  return new TableWaivers(client, table, counter, opts.timeoutMs ?? 30_000);
}

interface Current {
  waiver: TableWaiver | null;
  etag: string;
  version: number;
}

class TableWaivers implements WaiverTable {
  constructor(
    private readonly client: TableClient,
    readonly table: string,
    readonly requests: RequestCounter,
    private readonly timeoutMs: number,
  ) {}

  private async call<T>(operation: string, fn: (o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await fn({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw toStoreError(e, this.table, operation);
    }
  }

  private decoded<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new StoreError(this.table, operation, undefined, 'CorruptEntity', errorMessage(e));
    }
  }

  private async listRows(operation: string, filter: string): Promise<Entity[]> {
    return this.call(operation, async (o) => {
      const out: Entity[] = [];
      for await (const page of this.client.listEntities<Entity>({ queryOptions: { filter }, ...o }).byPage({ maxPageSize: 1000 })) out.push(...page);
      return out;
    });
  }

  async ensureTable(): Promise<void> {
    await this.call('create table', (o) => this.client.createTable(o));
  }

  private async current(id: string): Promise<Current | null> {
    const operation = `read waiver ${id}`;
    let e: Entity;
    try {
      e = await this.call(operation, (o) => this.client.getEntity<Entity>(waiverPartition(id), CURRENT_ROW, o));
    } catch (err) {
      if (err instanceof StoreError && err.statusCode === 404) return null;
      throw err;
    }
    return {
      waiver: this.decoded(operation, () => tableWaiverOf(id, e)),
      etag: String(e['etag'] ?? ''),
      version: this.decoded(operation, () => versionOf(id, e)),
    };
  }

  async list(): Promise<StoredWaiver[]> {
    const rows = await this.listRows('list waivers', where('RowKey', 'eq', CURRENT_ROW));
    const out: StoredWaiver[] = [];
    for (const r of rows) {
      const id = this.decoded('list waivers', () => idOfPartition(String(r['partitionKey'])));
      const waiver = this.decoded('list waivers', () => tableWaiverOf(id, r));
      if (waiver) out.push({ waiver, etag: String(r['etag'] ?? '') });
    }
    return out.sort((a, b) => (a.waiver.id < b.waiver.id ? -1 : a.waiver.id > b.waiver.id ? 1 : 0));
  }

  async get(id: string): Promise<StoredWaiver | null> {
    const c = await this.current(id);
    return c?.waiver ? { waiver: c.waiver, etag: c.etag } : null;
  }

  /** Checks the client's precondition against what is stored; throws 412/404 as HTTP would. */
  private check(id: string, cur: Current | null, cond: WaiverCondition, mustExist: boolean): void {
    const exists = cur?.waiver != null;
    if (cond.ifNoneMatch && exists) throw new WaiverWriteError(412, `waiver "${id}" exists (If-None-Match: *)`);
    if (mustExist && !exists) throw new WaiverWriteError(404, `waiver "${id}" is not in the waivers table`);
    if (cond.ifMatch === undefined) return;
    if (!exists) throw new WaiverWriteError(412, `waiver "${id}" does not exist (If-Match)`);
    if (cond.ifMatch !== '*' && cond.ifMatch !== cur?.etag)
      throw new WaiverWriteError(412, `waiver "${id}" has changed since ETag ${cond.ifMatch.slice(0, 80)}`);
  }

  /** One change and its history row, in one transaction under the `current` row's ETag. */
  private async write(id: string, next: Waiver | null, author: WaiverAuthor, cond: WaiverCondition): Promise<{ before: TableWaiver | null; etag: string }> {
    const operation = `${next ? 'put' : 'delete'} waiver ${id}`;
    for (let attempt = 1; attempt <= RACE_ATTEMPTS; attempt++) {
      const cur = await this.current(id);
      this.check(id, cur, cond, next === null);
      const before = cur?.waiver ?? null;
      const version = (cur?.version ?? 0) + 1;
      const row = currentEntity(id, next, author.at, author.by, version);
      const change = changeEntity(id, { at: author.at, by: author.by, action: next ? 'put' : 'delete', before, after: next }, version);
      const actions: TransactionAction[] = [cur ? ['update', row, 'Replace', { etag: cur.etag }] : ['create', row], ['create', change]];
      try {
        const r = await this.client.submitTransaction(actions, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
        return { before, etag: r.subResponses[0]?.etag ?? (await this.current(id))?.etag ?? '' };
      } catch (e) {
        const status = statusOf(e) ?? statusOf((e as { cause?: unknown }).cause);
        const lostRace = status === 412 || status === 409;
        if (!lostRace) throw toStoreError(e, this.table, operation);
        // Someone wrote in between: a client's own ETag is now stale; otherwise read again.
        if (cond.ifMatch !== undefined && cond.ifMatch !== '*')
          throw new WaiverWriteError(412, `waiver "${id}" has changed since ETag ${cond.ifMatch.slice(0, 80)}`);
        if (cond.ifNoneMatch) throw new WaiverWriteError(412, `waiver "${id}" exists (If-None-Match: *)`);
      }
    }
    throw new StoreError(this.table, operation, 409, 'Conflict', `the waiver changed under ${RACE_ATTEMPTS} attempts in a row; try again`);
  }

  async put(waiver: Waiver, author: WaiverAuthor, condition: WaiverCondition = {}): Promise<{ stored: StoredWaiver; before: TableWaiver | null }> {
    const { before, etag } = await this.write(waiver.id, waiver, author, condition);
    return { stored: { waiver: { ...waiver, source: 'table', updatedAt: author.at, updatedBy: author.by }, etag }, before };
  }

  async remove(id: string, author: WaiverAuthor, condition: WaiverCondition = {}): Promise<TableWaiver> {
    const { before } = await this.write(id, null, author, condition);
    if (!before) throw new WaiverWriteError(404, `waiver "${id}" is not in the waivers table`);
    return before;
  }

  async history(id: string): Promise<WaiverChange[]> {
    const range = prefixRange(HISTORY_PREFIX);
    const filter = `${where('PartitionKey', 'eq', waiverPartition(id))} and ${where('RowKey', 'ge', range.from)} and ${where('RowKey', 'lt', range.to)}`;
    const rows = await this.listRows(`read waiver ${id} history`, filter);
    return this.decoded(`read waiver ${id} history`, () => rows.map((r) => changeOf(id, r)));
  }
}
