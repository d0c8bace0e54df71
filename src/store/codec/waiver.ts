/**
 * The waivers table's entities. Each waiver has its own partition (`w~`id): the waiver in row
 * `current` and one row per change (`h~`version), so that a change and its history row are
 * written in one transaction (history rows keyed by the change's version). A deleted waiver keeps its `current` row as a tombstone, so a delete
 * can be guarded by the row's ETag as a PUT is (a transaction's delete cannot carry an ETag).
 * The waiver is stored in its file form (WaiverFileEntry) and read back through the same zod schema
 * as a waiver file.
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { fromInput, waiverToInput } from '../../knowledge/waivers.js';
import { WaiverInputSchema, type TableWaiver, type Waiver, type WaiverChange } from '../../model/knowledge.js';
import { decodeKey, encodeKey, fitKeyPart, ID_KEY_CHARS, joinKey, KEY_SEPARATOR } from '../keys.js';
import { CorruptEntityError, count, decode, flag, jsonText, text, type Entity } from './values.js';

export const CURRENT_ROW = 'current';
export const HISTORY_PREFIX = 'h';

const waiverJson = jsonText(WaiverInputSchema.nullable(), null);

const currentSchema = z.object({ waiver: waiverJson, updatedAt: text, updatedBy: text, deleted: flag, version: count });
const changeSchema = z.object({ at: text, by: text, action: z.enum(['put', 'delete']), before: waiverJson, after: waiverJson });

export function waiverPartition(id: string): string {
  return joinKey(`waiver id ${id}`, 'w', fitKeyPart(encodeKey(id), ID_KEY_CHARS));
}

function json(w: Waiver | null): string {
  return w ? JSON.stringify(waiverToInput(w)) : '';
}

/** `version` counts the waiver's changes: its history rows are keyed by it, so they sort in the order they were made. */
export function currentEntity(id: string, w: Waiver | null, at: string, by: string, version: number): TableEntity<Entity> {
  const props: z.input<typeof currentSchema> = { waiver: json(w), updatedAt: at, updatedBy: by, deleted: w === null, version };
  return { partitionKey: waiverPartition(id), rowKey: CURRENT_ROW, ...props };
}

export function changeEntity(id: string, c: WaiverChange, version: number): TableEntity<Entity> {
  // Written under the current row's ETag with the version it moves to, so no two changes share a row.
  const row = joinKey(`waiver change ${id}`, HISTORY_PREFIX, version.toString().padStart(10, '0'));
  const props: z.input<typeof changeSchema> = { at: c.at, by: c.by, action: c.action, before: json(c.before), after: json(c.after) };
  return { partitionKey: waiverPartition(id), rowKey: row, ...props };
}

/** The version of a `current` row (its count of changes). */
export function versionOf(id: string, e: Entity): number {
  return decode(currentSchema, e, `waiver ${id}`).version;
}

/** The table waiver of a `current` row; null for a tombstone. */
export function tableWaiverOf(id: string, e: Entity): TableWaiver | null {
  const c = decode(currentSchema, e, `waiver ${id}`);
  if (c.deleted || c.waiver === null) return null;
  return { ...fromInput(c.waiver, id, 'table'), source: 'table', updatedAt: c.updatedAt, updatedBy: c.updatedBy };
}

export function changeOf(id: string, e: Entity): WaiverChange {
  const c = decode(changeSchema, e, `waiver ${id} change`);
  return {
    at: c.at,
    by: c.by,
    action: c.action,
    before: c.before ? fromInput(c.before, id, 'table') : null,
    after: c.after ? fromInput(c.after, id, 'table') : null,
  };
}

/** The waiver id a partition names. */
export function idOfPartition(partitionKey: string): string {
  const [kind, encoded, ...rest] = partitionKey.split(KEY_SEPARATOR);
  if (kind !== 'w' || !encoded || rest.length) throw new CorruptEntityError(`"${partitionKey.slice(0, 100)}" is not a waiver partition`);
  return decodeKey(encoded);
}
