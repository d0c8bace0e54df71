/**
 * What a table waiver must be, whichever way it comes in (PUT /api/waivers/{id}, `waivers import`):
 * the waiver-file schema (src/model/knowledge.ts, one definition), a topic or check the knowledge base
 * knows, an id a URL can carry, and an expiry from today to at most WAIVER_MAX_DAYS ahead.
 */
import { waiverFromInput } from '../knowledge/waivers.js';
import { InputError } from '../model/errors.js';
import { WaiverInputSchema, type Waiver } from '../model/knowledge.js';

/** Letters, digits, dot, underscore and hyphen: safe in a URL path and a table key, and unlike "default:…" or "file#n". */
export const WAIVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** A waiver's serialised form stays far below a table property's 32 K characters. */
export const MAX_WAIVER_CHARS = 8_000;

const DAY_MS = 24 * 3600 * 1000;

export interface WaiverRules {
  /** WAIVER_MAX_DAYS. */
  maxDays: number;
  now: Date;
}

export function checkWaiverId(id: string, inputName: string, field: string): string {
  if (!WAIVER_ID.test(id)) {
    throw new InputError(
      inputName,
      `${field}: "${id.slice(0, 120)}" is not a waiver id (1-100 letters, digits, ".", "_" and "-", starting with a letter or digit)`,
    );
  }
  return id;
}

/** Today (UTC) ≤ expires ≤ today + maxDays. */
export function checkExpiry(expires: string, rules: WaiverRules, inputName: string, field: string): void {
  const today = Date.UTC(rules.now.getUTCFullYear(), rules.now.getUTCMonth(), rules.now.getUTCDate());
  const day = Date.parse(`${expires}T00:00:00Z`);
  const last = new Date(today + rules.maxDays * DAY_MS).toISOString().slice(0, 10);
  if (day < today) throw new InputError(inputName, `${field}.expires: ${expires} is in the past; a waiver needs an expiry from today to ${last}`);
  if (day > today + rules.maxDays * DAY_MS) {
    throw new InputError(inputName, `${field}.expires: ${expires} is more than WAIVER_MAX_DAYS (${rules.maxDays}) days ahead; the latest allowed is ${last}`);
  }
}

/** The path of a zod issue as a person reads it: body.scope, waivers[2].expires. */
function fieldOf(field: string, path: readonly PropertyKey[]): string {
  let out = field;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/**
 * A table waiver from a request body or an imported file's entry: `field` names it in errors
 * ("body", "waivers[3]"), `id` is the path's id (PUT) or the entry's own (import).
 */
export function tableWaiverFrom(raw: unknown, id: string | null, rules: WaiverRules, inputName: string, field: string): Waiver {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(inputName, `${field}: expected a waiver object`);
  if (JSON.stringify(raw).length > MAX_WAIVER_CHARS) throw new InputError(inputName, `${field}: a waiver is at most ${MAX_WAIVER_CHARS} characters of JSON`);
  const parsed = WaiverInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(inputName, `${fieldOf(field, issue?.path ?? [])}: ${issue?.message ?? 'is not a valid waiver'}`);
  }
  const w = parsed.data;
  const own = w.id;
  if (id !== null && own !== undefined && own !== id)
    throw new InputError(inputName, `${field}.id: "${own.slice(0, 100)}" differs from the id in the path ("${id}")`);
  const chosen = id ?? own;
  if (chosen === undefined) throw new InputError(inputName, `${field}.id: required (a table waiver is addressed by its id)`);
  checkWaiverId(chosen, inputName, `${field}.id`);
  checkExpiry(w.expires, rules, inputName, field);
  return waiverFromInput(w, inputName, field, chosen, 'table');
}
