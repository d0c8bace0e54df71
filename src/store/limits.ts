/**
 * Table Storage limits, and the cuts that keep every value we write inside them. Whatever a cluster
 * (or its owner's ARM tags) holds, its failure record must still be storable: a value that does not
 * fit is cut here, with a marker, instead of failing the write on every delivery.
 *
 * Limits (https://learn.microsoft.com/en-us/rest/api/storageservices/understanding-the-table-service-data-model,
 * https://learn.microsoft.com/en-us/azure/storage/tables/scalability-targets): a property holds at most 64 KiB
 * (a string is UTF-16, so 32 K characters), an entity at most 1 MiB with at most 255 properties, and a
 * PartitionKey or RowKey at most 1 KiB (keys.ts: 512 UTF-16 characters). Azurite enforces the same (TableHandler).
 * Entity size, as the service counts it: 4 bytes + 2 per key character, and per property 8 bytes +
 * 2 per name character + the value (string: 4 + 2 per character; binary: 4 + its bytes; number 8; bool 1)
 * (https://learn.microsoft.com/en-us/archive/blogs/avkashchauhan/how-the-size-of-an-entity-is-caclulated-in-windows-azure-table-storage).
 */
import { EntityTooLargeError } from './errors.js';

export const MAX_STRING_CHARS = 32 * 1024;
export const MAX_BINARY_BYTES = 64 * 1024;
export const MAX_ENTITY_BYTES = 1024 * 1024;
export const MAX_PROPERTIES = 252;

/**
 * Names and ids (subscription, resource group, cluster, location, version, node, pool). ARM's longest are
 * far shorter (resource group 90, cluster 63, node name 253); only a value no ARM resource can have is cut.
 */
export const MAX_NAME_CHARS = 1024;
/** Free-text outcome detail: enough for an error message and its cause. */
export const MAX_DETAIL_CHARS = 4000;
/**
 * The tags as readable JSON on the fleet entity. ARM allows 50 tags of 512-character names and
 * 256-character values (https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/tag-resources#limitations),
 * up to ~38,000 characters before JSON escapes: past this, the readable copy is cut and the whole tags
 * are kept gzip'd beside it (`tagsGz0`...).
 */
export const MAX_TAGS_TEXT_CHARS = 16_000;
/** Binary chunks for the gzip'd tags: 4 × 64,000 B holds any tags ARM allows, even incompressible and fully escaped. */
export const TAGS_GZ_CHUNKS = 4;

/** Cuts `value` to at most `max` characters, ending with a marker that says how much was cut. */
export function cutText(value: string, max: number): string {
  if (value.length <= max) return value;
  const marker = (n: number): string => `…[cut ${n} characters]`;
  let keep = max - marker(value.length).length;
  // Never split a surrogate pair: the kept text stays valid UTF-16.
  const code = value.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--;
  return value.slice(0, Math.max(0, keep)) + marker(value.length - keep);
}

export function isCut(value: string): boolean {
  return /…\[cut \d+ characters\]$/.test(value);
}

/** The stored size of an entity as the service counts it. */
export function entityBytes(entity: Record<string, unknown>): number {
  let n = 4;
  for (const [name, v] of Object.entries(entity)) {
    if (name === 'partitionKey' || name === 'rowKey') {
      n += typeof v === 'string' ? v.length * 2 : 0;
      continue;
    }
    n += 8 + name.length * 2;
    if (typeof v === 'string') n += 4 + v.length * 2;
    else if (v instanceof Uint8Array) n += 4 + v.length;
    else if (typeof v === 'boolean') n += 1;
    else n += 8;
  }
  return n;
}

/**
 * Checks an entity against every per-entity limit before it is sent, so that a value too large is a
 * deterministic error named here, found without a request, and never retried.
 */
export function assertFits(entity: Record<string, unknown>, what: string): void {
  const props = Object.keys(entity).filter((k) => k !== 'partitionKey' && k !== 'rowKey');
  if (props.length > MAX_PROPERTIES) throw new EntityTooLargeError(what, `has ${props.length} properties; Table Storage allows ${MAX_PROPERTIES}`);
  for (const k of props) {
    const v = entity[k];
    if (typeof v === 'string' && v.length > MAX_STRING_CHARS) {
      throw new EntityTooLargeError(what, `property ${k} holds ${v.length} characters; Table Storage allows ${MAX_STRING_CHARS}`);
    }
    if (v instanceof Uint8Array && v.length > MAX_BINARY_BYTES) {
      throw new EntityTooLargeError(what, `property ${k} holds ${v.length} bytes; Table Storage allows ${MAX_BINARY_BYTES}`);
    }
  }
  const size = entityBytes(entity);
  if (size > MAX_ENTITY_BYTES) throw new EntityTooLargeError(what, `is ${size} bytes; Table Storage allows ${MAX_ENTITY_BYTES}`);
}
