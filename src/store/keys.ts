/**
 * Table keys. PartitionKey and RowKey may not contain `/ \ # ?` or control characters, and ARM ids
 * are full of `/`, so every name that becomes part of a key goes through `encodeKey`.
 *
 * The encoding is reversible and readable: ASCII letters, digits, `-`, `_` and `.` stay as they are;
 * every other UTF-16 code unit becomes `!hh` (below 0x100) or `!uhhhh`. Code units rather than
 * UTF-8 bytes, so that any JavaScript string, lone surrogates included, survives the round trip.
 * The output never holds `~`, which the layout uses to join key parts, so joined keys cannot collide.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../model/errors.js';

/**
 * Table Storage keys are "up to 1 KiB in size"; in UTF-16 that is 512 characters, which is also what
 * Azurite enforces (DEFAULT_KEY_MAX_LENGTH, InvalidInput beyond it). Our keys are ASCII.
 */
export const MAX_KEY_LENGTH = 512;
/** Joins the parts of a composite key; `encodeKey` never emits it. */
export const KEY_SEPARATOR = '~';

const SAFE = /[A-Za-z0-9._-]/;

export function encodeKey(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    const code = value.charCodeAt(i);
    out += code < 0x100 ? `!${code.toString(16).padStart(2, '0')}` : `!u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

export function decodeKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length;) {
    const ch = key.charAt(i);
    if (ch !== '!') {
      if (!SAFE.test(ch)) throw new InputError('table key', `"${key}" holds "${ch}" at ${i}, which encodeKey never writes`);
      out += ch;
      i++;
      continue;
    }
    const wide = key.charAt(i + 1) === 'u';
    const hex = wide ? key.slice(i + 2, i + 6) : key.slice(i + 1, i + 3);
    if (!/^[0-9a-f]+$/.test(hex) || hex.length !== (wide ? 4 : 2)) {
      throw new InputError('table key', `"${key}" has a broken escape at ${i}`);
    }
    out += String.fromCharCode(parseInt(hex, 16));
    i += wide ? 6 : 3;
  }
  return out;
}

/**
 * Keeps an encoded key part within `max` characters: a longer one keeps its start and ends in `!x`
 * and the sha256 of the whole part, so that it stays unique and fits. Such a part does not decode.
 * An AKS id of ASCII names never needs it (at most ~330 characters encoded); one whose resource group
 * has many non-ASCII letters (6 characters each encoded) does, and still gets a key, so it can be stored.
 */
export function fitKeyPart(encoded: string, max: number): string {
  if (encoded.length <= max) return encoded;
  const hash = `!x${createHash('sha256').update(encoded).digest('hex')}`;
  let keep = encoded.slice(0, max - hash.length);
  // Never end the kept start inside an escape (`!hh`, `!uhhhh`): it stays readable.
  const bang = keep.lastIndexOf('!');
  if (bang >= 0 && keep.length - bang < (keep.charAt(bang + 1) === 'u' ? 6 : 3)) keep = keep.slice(0, bang);
  return keep + hash;
}

/** Key budgets: a cluster key joins a scan key (nodes partition) or `c` (run rows) within MAX_KEY_LENGTH. */
export const CLUSTER_KEY_CHARS = 380;
export const ID_KEY_CHARS = 128;
export const NODE_KEY_CHARS = 500;

/** Joins encoded parts and checks the result fits a key. */
export function joinKey(what: string, ...encodedParts: string[]): string {
  const key = encodedParts.join(KEY_SEPARATOR);
  if (key.length > MAX_KEY_LENGTH) {
    throw new InputError(what, `the table key would be ${key.length} characters; Table Storage allows ${MAX_KEY_LENGTH}`);
  }
  return key;
}

/**
 * A cluster's key: its ARM id, lower-cased because ARM ids compare case-insensitively
 * (the same cluster may be reported as `resourceGroups` or `resourcegroups`).
 */
export function clusterKey(clusterId: string): string {
  const id = clusterId.trim();
  if (!id) throw new InputError('cluster id', 'is empty');
  return joinKey(`cluster id ${clusterId}`, fitKeyPart(encodeKey(id.toLowerCase()), CLUSTER_KEY_CHARS));
}

export function scanKey(scanId: string): string {
  if (!scanId) throw new InputError('scan id', 'is empty');
  return joinKey(`scan id ${scanId}`, fitKeyPart(encodeKey(scanId), ID_KEY_CHARS));
}

export function runKey(runId: string): string {
  if (!runId) throw new InputError('run id', 'is empty');
  return joinKey(`run id ${runId}`, fitKeyPart(encodeKey(runId), ID_KEY_CHARS));
}

/**
 * Milliseconds left until year 10000, zero-padded, so that later times sort first in a RowKey:
 * newest-first listings then read the top of a partition.
 */
export function invertedTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InputError('time', `"${iso}" is not an ISO 8601 date`);
  return (253402300800000 - ms).toString().padStart(15, '0');
}

/** The exclusive upper bound of every key that starts with `prefix` followed by the separator. */
export function prefixRange(prefix: string): { from: string; to: string } {
  // '~' is the highest character a key of ours can hold after the separator, so '~~' ends the range.
  return { from: `${prefix}${KEY_SEPARATOR}`, to: `${prefix}${KEY_SEPARATOR}${KEY_SEPARATOR}` };
}
