/**
 * A node's full result: gzip'd, cut into binary properties d0..d11, continued in parts `node~001`, ...
 * when larger than one entity. Written and read only here.
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import type { ScannedNode } from '../../model/cluster.js';
import { chunkProps, pack, readChunks, unpack } from '../blob.js';
import { keys } from '../layout.js';
import { cutText, MAX_NAME_CHARS } from '../limits.js';
import { scannedNodeSchema } from './results.js';
import { CorruptEntityError, count, decode, text, type Entity } from './values.js';

const nodeRowSchema = z.object({
  node: text,
  pool: z.string().optional(),
  part: count,
  parts: count,
  bytes: count,
  sha256: z.string().optional(),
  chunks: count,
});
type NodeRow = z.input<typeof nodeRowSchema>;

/** The entities of one node's result, in the scan's Nodes partition. */
export function nodeResultEntities(partitionKey: string, node: ScannedNode): TableEntity<Entity>[] {
  const p = pack(node);
  return p.parts.map((chunks, i) => {
    const row: NodeRow = {
      node: cutText(node.name, MAX_NAME_CHARS),
      pool: cutText(node.pool ?? '', MAX_NAME_CHARS),
      part: i,
      parts: p.parts.length,
      bytes: p.bytes,
      sha256: p.sha256,
      chunks: chunks.length,
    };
    return { partitionKey, rowKey: keys.nodePart(node.name, i), ...row, ...chunkProps(chunks) };
  });
}

/** Assembles a node's result from its rows (any order); rows beyond the first row's part count are left from an earlier, larger write. */
export function nodeResultOf(rows: readonly Entity[]): ScannedNode {
  const decoded = rows.map((r) => ({ row: r, props: decode(nodeRowSchema, r, 'node result row') })).sort((a, b) => a.props.part - b.props.part);
  const first = decoded[0];
  if (!first) throw new CorruptEntityError('a node result has no rows');
  const { parts, bytes, sha256 } = first.props;
  const used = decoded.slice(0, parts);
  if (used.length !== parts || used.some((r, i) => r.props.part !== i)) throw new CorruptEntityError(`expected ${parts} parts, found ${rows.length}`);
  const chunks: Uint8Array[] = [];
  for (const { row, props } of used) {
    const c = readChunks(row, props.chunks);
    if (!c) throw new CorruptEntityError('a chunk is missing');
    chunks.push(...c);
  }
  return decode(scannedNodeSchema, unpack(chunks, bytes, sha256 ?? ''), `node ${first.props.node}`);
}
