/** Timing helpers: ratios against a baseline measured in the same run, never absolute goals. */
import { performance } from 'node:perf_hooks';

export interface Figure {
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  goal: string;
  met: boolean;
  note?: string;
}

/** Median time per call in microseconds, over `rounds` rounds of `iterations` calls, after a warm-up. */
export function timePerCall(fn: () => unknown, iterations: number, rounds = 7): number {
  for (let i = 0; i < Math.max(10, iterations / 5); i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

export function ratioFigure(value: number, baseline: number, unit: string, goalMax: number, note?: string): Figure {
  const ratio = value / baseline;
  const f: Figure = { value: round(value), unit, baseline: round(baseline), ratio: round(ratio, 3), goal: `<= ${goalMax}`, met: ratio <= goalMax };
  if (note) f.note = note;
  return f;
}

export function round(n: number, digits = 2): number {
  const p = 10 ** digits;
  return Math.round(n * p) / p;
}
