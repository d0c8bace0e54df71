/**
 * Waivers as the API manages them: the effective list (table, file, defaults), and the table's
 * changes, validated by rules.ts and recorded with who made them. Knows nothing of HTTP.
 */
import type { WaiverConfig } from '../knowledge/waivers.js';
import type { TableWaiver, WaiverChange } from '../model/knowledge.js';
import type { StoredWaiver, WaiverCondition, WaiverTable } from '../store/waivers.js';
import { cachedWaivers, loadEffectiveWaivers, type ListedWaiver, type WaiverCache } from './effective.js';
import { checkWaiverId, tableWaiverFrom, WAIVER_ID } from './rules.js';

export interface WaiverServiceOptions {
  table: WaiverTable;
  file: WaiverConfig | null;
  defaults: boolean;
  /** WAIVER_MAX_DAYS. */
  maxDays: number;
  now: () => Date;
  cacheMs?: number;
  log?: (line: string) => void;
}

export class WaiverService {
  readonly cache: WaiverCache;

  constructor(private readonly o: WaiverServiceOptions) {
    this.cache = cachedWaivers(
      { defaults: o.defaults, file: o.file, table: o.table },
      { ...(o.cacheMs !== undefined ? { ttlMs: o.cacheMs } : {}), ...(o.log ? { log: o.log } : {}) },
    );
  }

  get maxDays(): number {
    return this.o.maxDays;
  }

  /** Every waiver, read now (not cached): what an operator reviews. */
  list(): Promise<ListedWaiver[]> {
    return loadEffectiveWaivers({ defaults: this.o.defaults, file: this.o.file, table: this.o.table });
  }

  /** A table waiver with its ETag; else the file's or default waiver of that id (no ETag); else null. */
  async get(id: string): Promise<{ waiver: ListedWaiver; etag: string | null } | null> {
    const stored = WAIVER_ID.test(id) ? await this.o.table.get(id) : null;
    if (stored) return stored;
    const other = (await this.list()).find((w) => w.id === id);
    return other ? { waiver: other, etag: null } : null;
  }

  async put(id: string, body: unknown, by: string, condition: WaiverCondition): Promise<{ stored: StoredWaiver; created: boolean }> {
    const now = this.o.now();
    checkWaiverId(id, 'path', 'path segment id');
    const waiver = tableWaiverFrom(body, id, { maxDays: this.o.maxDays, now }, 'request body', 'body');
    const r = await this.o.table.put(waiver, { at: now.toISOString(), by }, condition);
    this.cache.invalidate();
    return { stored: r.stored, created: r.before === null };
  }

  async remove(id: string, by: string, condition: WaiverCondition): Promise<TableWaiver> {
    checkWaiverId(id, 'path', 'path segment id');
    const before = await this.o.table.remove(id, { at: this.o.now().toISOString(), by }, condition);
    this.cache.invalidate();
    return before;
  }

  history(id: string): Promise<WaiverChange[]> {
    checkWaiverId(id, 'path', 'path segment id');
    return this.o.table.history(id);
  }
}
