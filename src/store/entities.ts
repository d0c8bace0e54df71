/**
 * Typed reads of entity properties. The entities are ours, but a property can still be missing
 * (an older layout, a half-deleted scan): reads fail with an error naming the property.
 */
import { emptyTotals, type Totals } from '../model/result.js';

export type Entity = Record<string, unknown>;

export class CorruptEntityError extends Error {
  override readonly name = 'CorruptEntityError';
}

export function str(e: Entity, name: string): string {
  const v = e[name];
  if (typeof v !== 'string') throw new CorruptEntityError(`property ${name} is missing or not a string`);
  return v;
}

export function optStr(e: Entity, name: string): string | null {
  const v = e[name];
  return typeof v === 'string' && v !== '' ? v : null;
}

export function num(e: Entity, name: string): number {
  const v = e[name];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // Int64 values come back as strings.
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (v === undefined || v === null) return 0;
  throw new CorruptEntityError(`property ${name} is not a number`);
}

export function bool(e: Entity, name: string): boolean {
  return e[name] === true;
}

export function json<T>(e: Entity, name: string, fallback: T): T {
  const v = e[name];
  if (typeof v !== 'string' || v === '') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    throw new CorruptEntityError(`property ${name} is not valid JSON`);
  }
}

export function totalsOf(e: Entity, prefix = ''): Totals {
  const t = emptyTotals();
  t.pass = num(e, `${prefix}pass`);
  t.fail = num(e, `${prefix}fail`);
  t.warn = num(e, `${prefix}warn`);
  t.info = num(e, `${prefix}info`);
  return t;
}

export function totalsProps(t: Totals, prefix = ''): Record<string, number> {
  return { [`${prefix}pass`]: t.pass, [`${prefix}fail`]: t.fail, [`${prefix}warn`]: t.warn, [`${prefix}info`]: t.info };
}
