/**
 * Large values (a node's full result, a scan's check list) are stored gzip-compressed and cut into
 * binary properties, because a property holds at most 64 KiB and an entity at most 1 MiB.
 * A value too large for one entity continues in further entities ("parts").
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Bytes per binary property: under the 64 KiB limit with room to spare. */
export const CHUNK_BYTES = 64_000;
/** Chunks per entity: 12 × 64,000 B = 768 KB, under the 1 MiB entity limit with the other properties. */
export const CHUNKS_PER_ENTITY = 12;

export interface Packed {
  bytes: number;
  sha256: string;
  /** One array of chunks per entity. */
  parts: Uint8Array[][];
}

export function gzipJson(value: unknown): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Compresses a value and cuts it into entity parts; the first part may hold fewer chunks. */
export function pack(value: unknown, firstPartChunks = CHUNKS_PER_ENTITY): Packed {
  const gz = gzipJson(value);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < gz.length; i += CHUNK_BYTES) chunks.push(gz.subarray(i, i + CHUNK_BYTES));
  const parts: Uint8Array[][] = [chunks.slice(0, firstPartChunks)];
  for (let i = firstPartChunks; i < chunks.length; i += CHUNKS_PER_ENTITY) parts.push(chunks.slice(i, i + CHUNKS_PER_ENTITY));
  return { bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex'), parts };
}

/** The properties d0..dN of one part. */
export function chunkProps(chunks: readonly Uint8Array[], prefix = 'd'): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  chunks.forEach((c, i) => (out[`${prefix}${i}`] = c));
  return out;
}

function asBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  // Some SDK paths hand back Edm.Binary as base64 text.
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return null;
}

/** Reads `count` chunks d0..d(count-1) from an entity; null when one is missing. */
export function readChunks(entity: Record<string, unknown>, count: number, prefix = 'd'): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = asBytes(entity[`${prefix}${i}`]);
    if (!b) return null;
    out.push(b);
  }
  return out;
}

/** Joins chunks, checks size and hash, and decompresses. Throws a plain Error on a mismatch. */
export function unpack(chunks: readonly Uint8Array[], bytes: number, sha256: string): unknown {
  const gz = Buffer.concat(chunks);
  if (gz.length !== bytes) throw new Error(`expected ${bytes} compressed bytes, found ${gz.length}`);
  if (createHash('sha256').update(gz).digest('hex') !== sha256) throw new Error('the stored bytes do not match their sha256');
  return JSON.parse(gunzipSync(gz).toString('utf8')) as unknown;
}
