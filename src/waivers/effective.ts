/**
 * The effective waiver list, the one place it is built: the waivers table's, then WAIVERS_FILE's,
 * then the shipped defaults (unless DEFAULT_WAIVERS=off or the file turned them off). Order matters:
 * the first waiver that applies to a check is the one shown, so an operator's decision wins over a
 * default, and a table waiver (managed, recorded) over the file's.
 *
 * Table waivers are read through a short cache: a change made on another instance takes effect
 * here within WAIVER_CACHE_MS, without a restart; one made through this process at once.
 */
import { effectiveWaivers, type WaiverConfig } from '../knowledge/waivers.js';
import type { TableWaiver, Waiver } from '../model/knowledge.js';
import type { WaiverTable } from '../store/waivers.js';

/** How stale the table's waivers may be on another instance (and how often the table is read). */
export const WAIVER_CACHE_MS = 60_000;

export type ListedWaiver = Waiver | TableWaiver;

export interface WaiverSources {
  /** DEFAULT_WAIVERS: on unless "off". */
  defaults: boolean;
  /** WAIVERS_FILE, loaded at start; null when unset. */
  file: WaiverConfig | null;
  /** The waivers table; null where there is none (the CLI's explain). */
  table: Pick<WaiverTable, 'list'> | null;
}

export async function loadEffectiveWaivers(s: WaiverSources): Promise<ListedWaiver[]> {
  const table = s.table ? (await s.table.list()).map((x) => x.waiver) : [];
  return [...table, ...effectiveWaivers(s.file, s.defaults)];
}

export interface WaiverCache {
  /** The effective list, at most WAIVER_CACHE_MS old. */
  current(): Promise<ListedWaiver[]>;
  /** The next current() reads the table again (after a change through this process). */
  invalidate(): void;
}

export function cachedWaivers(s: WaiverSources, opts: { ttlMs?: number; now?: () => number; log?: (line: string) => void } = {}): WaiverCache {
  const ttl = opts.ttlMs ?? WAIVER_CACHE_MS;
  const now = opts.now ?? Date.now;
  let value: ListedWaiver[] | null = null;
  let loadedAt = 0;
  let loading: Promise<ListedWaiver[]> | null = null;
  let generation = 0;
  return {
    current() {
      if (value && now() - loadedAt < ttl) return Promise.resolve(value);
      if (loading) return loading;
      const gen = generation;
      loading = loadEffectiveWaivers(s).then(
        (v) => {
          loading = null;
          // A change made while this read was under way invalidated it: keep it for this caller only.
          if (gen === generation) {
            value = v;
            loadedAt = now();
          }
          return v;
        },
        (e: unknown) => {
          loading = null;
          // Keep applying the last list read rather than none: dropping waivers would alert on what was silenced.
          if (value) {
            opts.log?.(`waivers: the waivers table could not be read, the list read ${Math.round((now() - loadedAt) / 1000)} s ago stays in use`);
            return value;
          }
          throw e;
        },
      );
      return loading;
    },
    invalidate() {
      generation++;
      loadedAt = 0;
      loading = null;
    },
  };
}
