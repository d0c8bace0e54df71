/**
 * The scan header (Scans: cluster, scan) and the overflow of its details (Nodes: `~details~n`).
 * The header holds what history lists (totals, outcome, triage) and the gzip'd details inline in
 * c0..c7; larger details continue in Nodes rows. Written and read only here.
 */
import type { TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { chunkProps, pack, readChunks, unpack } from '../blob.js';
import { keys } from '../layout.js';
import { cutText, MAX_NAME_CHARS } from '../limits.js';
import type { ScanTotals } from '../types.js';
import { outcomeProps, outcomeSchema, outcomeShape, scanDetailsSchema, type ScanDetails } from './results.js';
import { CorruptEntityError, count, decode, jsonText, optText, text, totalsFrom, totalsProps, totalsShape, type Entity } from './values.js';

/** Chunks of scan details kept inline on the header; the rest goes to Nodes as `~details~n`. */
const HEADER_DETAIL_CHUNKS = 8;
const INLINE_PREFIX = 'c';

const triageSchema = z.record(z.string(), z.number().int().min(0));

/** What history lists: everything but the details. */
const totalsRowSchema = z.object({
  clusterId: text,
  scanId: text,
  runId: text,
  benchmark: optText,
  startedAt: text,
  finishedAt: text,
  ...outcomeShape,
  ...totalsShape(''),
  nodes: count,
  nodeFailures: count,
  triage: jsonText(triageSchema, {}),
});

const headerSchema = totalsRowSchema.extend({
  detailsBytes: count,
  detailsSha256: text,
  detailsChunks: count,
  detailsParts: count,
});

const overflowSchema = z.object({ part: count, chunks: count });

/** The header's small columns, for a history query's $select. */
export const SCAN_HISTORY_SELECT: readonly string[] = Object.keys(totalsRowSchema.shape);
/** The property a retention query filters on. */
export const SCAN_STARTED_AT = 'startedAt' satisfies keyof typeof totalsRowSchema.shape;

export interface ScanHeaderInput extends Omit<ScanTotals, 'nodes' | 'nodeFailures'> {
  details: ScanDetails;
}

/** The header and the Nodes rows its details overflow into (written before the header). */
export function scanEntities(s: ScanHeaderInput): { header: TableEntity<Entity>; overflow: TableEntity<Entity>[] } {
  const d = pack(s.details, HEADER_DETAIL_CHUNKS);
  const [inline = [], ...rest] = d.parts;
  const nodesPk = keys.nodesPartition(s.clusterId, s.scanId);
  const overflow = rest.map((chunks, i) => {
    const row: z.input<typeof overflowSchema> = { part: i + 1, chunks: chunks.length };
    return { partitionKey: nodesPk, rowKey: keys.detailsPart(i + 1), ...row, ...chunkProps(chunks) };
  });
  const props: z.input<typeof headerSchema> = {
    clusterId: cutText(s.clusterId, MAX_NAME_CHARS),
    scanId: s.scanId,
    runId: s.runId,
    benchmark: cutText(s.benchmark ?? '', MAX_NAME_CHARS),
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    ...outcomeProps(s.outcome),
    ...totalsProps(s.totals, ''),
    nodes: s.details.nodeList.length,
    nodeFailures: s.details.nodeFailureList.length,
    triage: JSON.stringify(s.triage),
    detailsBytes: d.bytes,
    detailsSha256: d.sha256,
    detailsChunks: inline.length,
    detailsParts: d.parts.length,
  };
  return { header: { ...keys.scan(s.clusterId, s.scanId), ...props, ...chunkProps(inline, INLINE_PREFIX) }, overflow };
}

export function scanTotalsOf(e: Entity): ScanTotals {
  const p = decode(totalsRowSchema, e, `scan ${String(e['scanId'])}`);
  return {
    clusterId: p.clusterId,
    scanId: p.scanId,
    runId: p.runId,
    benchmark: p.benchmark,
    startedAt: p.startedAt,
    finishedAt: p.finishedAt,
    outcome: decode(outcomeSchema, e, `scan ${p.scanId} outcome`),
    totals: totalsFrom(p, ''),
    nodes: p.nodes,
    nodeFailures: p.nodeFailures,
    triage: p.triage,
  };
}

/** How many Nodes rows the header's details continue in (0 when they fit inline). */
export function overflowParts(header: Entity): number {
  return Math.max(0, decode(headerSchema, header, 'scan header').detailsParts - 1);
}

/** The details of a scan from its header and its overflow rows (any order). */
export function scanDetailsOf(header: Entity, overflowRows: readonly Entity[]): ScanDetails {
  const h = decode(headerSchema, header, `scan ${String(header['scanId'])}`);
  const chunks = readChunks(header, h.detailsChunks, INLINE_PREFIX);
  if (!chunks) throw new CorruptEntityError('a details chunk is missing');
  const rows = overflowRows.map((r) => ({ row: r, props: decode(overflowSchema, r, 'scan details row') })).sort((a, b) => a.props.part - b.props.part);
  if (rows.length !== h.detailsParts - 1) throw new CorruptEntityError(`expected ${h.detailsParts - 1} details parts, found ${rows.length}`);
  for (const { row, props } of rows) {
    const more = readChunks(row, props.chunks);
    if (!more) throw new CorruptEntityError('a details chunk is missing');
    chunks.push(...more);
  }
  return decode(scanDetailsSchema, unpack(chunks, h.detailsBytes, h.detailsSha256), `scan ${h.scanId} details`);
}

/** The scan id of a header read with SCAN_ID_SELECT. */
export const SCAN_ID_SELECT: readonly string[] = ['partitionKey', 'rowKey', 'scanId'];
export function scanIdOf(e: Entity): string {
  return decode(totalsRowSchema.pick({ scanId: true }), e, 'scan header').scanId;
}
