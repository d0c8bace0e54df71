/**
 * How long a command is expected to run, learned from the fleet's recent commands, so that the
 * first poll usually finds it done: one GET per command instead of a poll every few seconds.
 *
 * The 90th percentile, not the median: a poll that comes too early costs an ARM request from the
 * subscription's bucket and another step, while waiting a few seconds longer costs nothing, since
 * no worker waits (the queue message does). With the median, half of the commands need a second
 * poll.
 */
import type { LearnedDurations } from './progress.js';

export const DURATION_QUANTILE = 0.9;
/** Samples needed before a count of units is trusted on its own. */
const MIN_SAMPLES = 3;
/** Kept per count of units: the newest, so the model follows the fleet. */
const MAX_SAMPLES = 200;
/** Distinct unit counts kept (they travel in every message of the run). */
const MAX_KEYS = 32;

export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null;
}

/** Command durations in ms by unit count → the learned map (quantile per count, rounded up to 10 ms). */
export function learnDurations(samples: Iterable<{ units: number; durationMs: number }>, previous: LearnedDurations = {}): LearnedDurations {
  const by = new Map<number, number[]>();
  for (const s of samples) {
    if (!Number.isFinite(s.durationMs) || s.durationMs < 0) continue;
    const list = by.get(s.units) ?? [];
    list.push(s.durationMs);
    by.set(s.units, list);
  }
  const out: LearnedDurations = { ...previous };
  for (const [units, list] of by) {
    if (list.length < MIN_SAMPLES && out[String(units)] !== undefined) continue;
    const q = quantile(list.slice(-MAX_SAMPLES), DURATION_QUANTILE);
    if (q !== null) out[String(units)] = Math.min(3_600_000, Math.ceil(q / 10) * 10);
  }
  const keys = Object.keys(out).sort((a, b) => Number(a) - Number(b));
  return Object.fromEntries(keys.slice(0, MAX_KEYS).map((k) => [k, out[k] as number]));
}

/** The expected run time for `units`: its own entry, else the nearest count learned; null when nothing is. */
export function expectedMs(durations: LearnedDurations | undefined, units: number): number | null {
  if (!durations) return null;
  let best: { gap: number; ms: number } | null = null;
  for (const [k, ms] of Object.entries(durations)) {
    const gap = Math.abs(Number(k) - units);
    if (!best || gap < best.gap) best = { gap, ms };
  }
  return best?.ms ?? null;
}

/** Learns within one process as commands finish (the CLI's in-process scan). */
export class RunningDurations {
  private readonly samples: { units: number; durationMs: number }[] = [];
  private learned: LearnedDurations;

  constructor(seed: LearnedDurations = {}) {
    this.learned = seed;
  }

  observe(units: number, durationMs: number): void {
    this.samples.push({ units, durationMs });
    if (this.samples.length > MAX_SAMPLES * 4) this.samples.splice(0, this.samples.length - MAX_SAMPLES * 4);
    const enough = this.samples.filter((s) => s.units === units).length >= MIN_SAMPLES;
    if (enough) this.learned = learnDurations(this.samples, this.learned);
  }

  current(): LearnedDurations {
    return this.learned;
  }
}

/**
 * Up to +10 % on a delay, so that workers on many instances, started by one timer, do not come back
 * to ARM in step. Only ever later: a poll before the expected time is the request we try to save.
 */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 + 0.1 * random()));
}
