/**
 * zod types for the values a table entity holds, and the one decode step every read goes through.
 * The entities are ours, but a property can still be missing or odd (an older layout, a half-deleted
 * scan, a hand edit): a read fails with an error naming the entity and the property, never with an
 * unchecked value handed on to the API.
 */
import { z } from 'zod';

export type Entity = Record<string, unknown>;

export class CorruptEntityError extends Error {
  override readonly name = 'CorruptEntityError';
}

/** A required string property. */
export const text = z.string();

/** A string property where missing and '' both mean "none". */
export const optText = z
  .string()
  .optional()
  .transform((v) => (v ? v : null));

/** A whole number of at least 0; Int64 values come back as strings, and a property an older layout lacked reads as 0. */
export const count = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(0))
  .optional()
  .transform((v) => v ?? 0);

/** A boolean property that older entities may lack. */
export const flag = z
  .boolean()
  .optional()
  .transform((v) => v === true);

/** Edm.Binary: bytes, or base64 text on some SDK paths. */
export const bytes = z.union([z.instanceof(Uint8Array), z.string().transform((s) => new Uint8Array(Buffer.from(s, 'base64')))]);

/** A JSON-encoded string property validated by `schema`; missing or '' gives `fallback`. */
export function jsonText<S extends z.ZodType>(schema: S, fallback: z.output<S>): z.ZodType<z.output<S>, string | undefined> {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return fallback;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema) as unknown as z.ZodType<z.output<S>, string | undefined>;
}

/** Property names of a schema's shape, each mapped to itself: filters and $select name properties through it. */
export function propNames<T extends z.ZodRawShape>(shape: T): { readonly [K in keyof T & string]: K } {
  return Object.fromEntries(Object.keys(shape).map((k) => [k, k])) as { [K in keyof T & string]: K };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is not valid';
  const where = issue.path.length ? `property ${issue.path.map(String).join('.')}` : 'the value';
  return `${where}: ${issue.message}`;
}

/** Validates what was read back; throws CorruptEntityError naming `what` and the first bad property. */
export function decode<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new CorruptEntityError(`${what}: ${describeIssue(r.error.issues[0])}`);
  return r.data;
}

const TOTALS_KEYS = ['pass', 'fail', 'warn', 'info'] as const;
type TotalsKey = (typeof TOTALS_KEYS)[number];

/** Four count properties `${prefix}pass`, ... for a Totals value. */
export function totalsShape<P extends string>(prefix: P): Record<`${P}${TotalsKey}`, typeof count> {
  return Object.fromEntries(TOTALS_KEYS.map((k) => [`${prefix}${k}`, count])) as Record<`${P}${TotalsKey}`, typeof count>;
}

export function totalsProps<P extends string>(t: Record<TotalsKey, number>, prefix: P): Record<`${P}${TotalsKey}`, number> {
  return Object.fromEntries(TOTALS_KEYS.map((k) => [`${prefix}${k}`, t[k]])) as Record<`${P}${TotalsKey}`, number>;
}

export function totalsFrom<P extends string>(props: Record<`${P}${TotalsKey}`, number>, prefix: P): Record<TotalsKey, number> {
  const get = (k: TotalsKey): number => props[`${prefix}${k}`];
  return { pass: get('pass'), fail: get('fail'), warn: get('warn'), info: get('info') };
}

const keysSchema = z.object({ partitionKey: text, rowKey: text });
/** The keys of an entity read with KEYS_SELECT (for deletes). */
export const KEYS_SELECT: readonly string[] = Object.keys(keysSchema.shape);
export function keysOf(e: Entity): { partitionKey: string; rowKey: string } {
  return decode(keysSchema, e, 'entity keys');
}

/**
 * `name op 'value'` for a filter, the value quoted and escaped as the SDK's odata tag does (which
 * quotes only after a non-empty literal, so it cannot be used for a bare value).
 */
export function where(name: string, op: 'eq' | 'lt' | 'ge', value: string): string {
  return `${name} ${op} '${value.replace(/'/g, "''")}'`;
}
