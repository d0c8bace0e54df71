/**
 * The envelope our in-cluster Job prints around each node's kube-bench output.
 *
 * Run-command returns one merged log for the whole command, capped at 512 kB, with stderr and
 * kubectl chatter interleaved. The envelope lets us cut that log back into one payload per node,
 * and tell a complete payload from one the cap cut off (the END line and its hash are missing or
 * wrong). The shell side (src/scan/incluster) produces exactly these lines with coreutils:
 *
 *   ===AKSFS-BEGIN v1 node=<node> pool=<pool> benchmark=<b> format=json encoding=gzip+base64===
 *   <base64 of gzip(payload), wrapped at any width>
 *   ===AKSFS-END v1 node=<node> sha256=<hex sha256 of the uncompressed payload>===
 *
 * A node that produced no payload gets one line instead:
 *
 *   ===AKSFS-STATUS v1 node=<node> pool=<pool> status=<status> reason=<free text to the end>===
 *
 * Before its envelopes the script prints the nodes it chose, once per command:
 *
 *   ===AKSFS-PLAN v1 nodes=<node>,<node>,...===
 *
 * Fields are space-separated key=value tokens; only `reason`, always last, may contain spaces.
 *
 * Everything in the log is written by the cluster, whose owner we audit: it is untrusted input.
 * Decompression is bounded per envelope and per log, so a gzip bomb costs at most these limits.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { errorMessage } from './errors.js';

export const ENVELOPE_VERSION = 'v1';
const MARK = '===AKSFS-';
const LINE_WIDTH = 76;

/**
 * Largest uncompressed payload of one node. An aks-1.8 node result is ~40 KB of JSON, and even with
 * every `actual` value a whole config file it stays under 1 MiB; a gzip bomb (511 KiB → 380 MiB)
 * stops here instead of filling the worker's memory.
 */
export const MAX_ENVELOPE_PAYLOAD_BYTES = 4 * 1024 * 1024;
/**
 * Largest uncompressed payload of all envelopes of one log. Run-command caps a log at 512 kB, and
 * kube-bench JSON compresses about 10:1, so an honest log inflates to under 5 MiB; many small bombs
 * in one log stop here.
 */
export const MAX_LOG_PAYLOAD_BYTES = 16 * 1024 * 1024;

export type EnvelopeFormat = 'json' | 'text';

export interface EnvelopeMeta {
  node: string;
  pool: string | null;
  benchmark: string | null;
  format: EnvelopeFormat;
}

/** Statuses the Job script reports for nodes without a payload. */
export type NodeJobStatus = 'unschedulable' | 'admission-denied' | 'image-pull' | 'not-started' | 'timeout' | 'failed' | 'forbidden' | 'no-output';

export interface EnvelopeStatus {
  node: string;
  pool: string | null;
  status: NodeJobStatus | string;
  reason: string;
}

export type EnvelopeProblem = 'truncated' | 'corrupt' | 'over-limit';

export type EnvelopeRecord =
  | { kind: 'payload'; meta: EnvelopeMeta; payload: string }
  | { kind: 'status'; status: EnvelopeStatus }
  | { kind: 'broken'; meta: EnvelopeMeta; problem: EnvelopeProblem; detail: string };

export interface EnvelopeScan {
  records: EnvelopeRecord[];
  /** Log lines outside any envelope (kubectl output, script messages, a bare kube-bench log). */
  outside: string[];
  /** The nodes of the script's PLAN line; null when the log has none (every PLAN line, merged). */
  plan: string[] | null;
}

/** Wraps one node's payload. Used by the simulator and tests; the in-cluster script emits the same bytes. */
export function encodeEnvelope(payload: string, meta: EnvelopeMeta): string {
  const raw = Buffer.from(payload, 'utf8');
  const b64 = gzipSync(raw).toString('base64');
  const lines: string[] = [
    `${MARK}BEGIN ${ENVELOPE_VERSION} node=${meta.node} pool=${meta.pool ?? '-'} benchmark=${meta.benchmark ?? '-'} format=${meta.format} encoding=gzip+base64===`,
  ];
  for (let i = 0; i < b64.length; i += LINE_WIDTH) lines.push(b64.slice(i, i + LINE_WIDTH));
  lines.push(`${MARK}END ${ENVELOPE_VERSION} node=${meta.node} sha256=${sha256Hex(raw)}===`);
  return lines.join('\n') + '\n';
}

export function formatStatusLine(s: EnvelopeStatus): string {
  const reason = s.reason
    .replace(/[\r\n]+/g, ' ')
    .replace(/===/g, '= = =')
    .trim();
  return `${MARK}STATUS ${ENVELOPE_VERSION} node=${s.node} pool=${s.pool ?? '-'} status=${s.status} reason=${reason}===\n`;
}

/** The script's PLAN line: which nodes this command runs kube-bench on. */
export function formatPlanLine(nodes: readonly string[]): string {
  return `${MARK}PLAN ${ENVELOPE_VERSION} nodes=${nodes.join(',')}===\n`;
}

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

interface MarkerLine {
  type: 'BEGIN' | 'END' | 'STATUS' | 'PLAN';
  fields: Record<string, string>;
}

function parseMarker(line: string): MarkerLine | null {
  if (!line.startsWith(MARK) || !line.endsWith('===')) return null;
  const body = line.slice(MARK.length, -3);
  const m = /^(BEGIN|END|STATUS|PLAN) (v\d+)(?: (.*))?$/.exec(body);
  if (!m) return null;
  const fields: Record<string, string> = { version: m[2] ?? '' };
  let rest = m[3] ?? '';
  // `reason` runs to the end of the line and may hold spaces.
  const ri = rest.search(/(?:^| )reason=/);
  if (ri >= 0) {
    const start = rest.indexOf('reason=', ri) + 'reason='.length;
    fields['reason'] = rest.slice(start);
    rest = rest.slice(0, ri);
  }
  for (const tok of rest.split(' ')) {
    const eq = tok.indexOf('=');
    if (eq > 0) fields[tok.slice(0, eq)] = tok.slice(eq + 1);
  }
  return { type: m[1] as MarkerLine['type'], fields };
}

/** A line the output cap cut inside a BEGIN/END/STATUS marker: a prefix of the marker, or a marker without its closing ===. */
function isCutMarker(line: string): boolean {
  if (line.length === 0) return false;
  if (line.startsWith(MARK)) return !line.endsWith('===');
  return line.length < MARK.length && MARK.startsWith(line);
}

function dash(v: string | undefined): string | null {
  return v === undefined || v === '-' || v === '' ? null : v;
}

function metaOf(f: Record<string, string>): EnvelopeMeta {
  return {
    node: f['node'] ?? 'unknown',
    pool: dash(f['pool']),
    benchmark: dash(f['benchmark']),
    format: f['format'] === 'text' ? 'text' : 'json',
  };
}

/**
 * Finds every envelope in a log. Never throws: a cut-off or damaged envelope becomes a `broken`
 * record for its node, so one bad node does not hide the others.
 */
export function scanEnvelopes(log: string): EnvelopeScan {
  const records: EnvelopeRecord[] = [];
  const outside: string[] = [];
  let open: { meta: EnvelopeMeta; chunks: string[] } | null = null;
  let plan: string[] | null = null;
  let budget = MAX_LOG_PAYLOAD_BYTES;

  const closeBroken = (problem: EnvelopeProblem, detail: string): void => {
    if (open) records.push({ kind: 'broken', meta: open.meta, problem, detail });
    open = null;
  };

  // A marker that does not start its line (a payload line cut mid-way by the output cap, then the
  // next envelope) is split off, so the next node is not lost with the cut one.
  const lines = log.split('\n').flatMap((l) => {
    const at = l.indexOf(MARK);
    return at > 0 ? [l.slice(0, at), l.slice(at)] : [l];
  });
  let last = lines.length - 1;
  while (last > 0 && (lines[last] ?? '').trim() === '') last--;
  for (let i = 0; i < lines.length; i++) {
    const rawLine = lines[i] as string;
    const line = rawLine.replace(/\r$/, '').trim();
    const marker = line.startsWith(MARK) ? parseMarker(line) : null;
    if (!marker && i === last && isCutMarker(line)) {
      // The log ends inside a marker line: that node's output was cut off.
      if (open) closeBroken('truncated', `the payload of node ${open.meta.node} is cut off (output truncated?)`);
      else {
        const node = /node=(\S+)/.exec(line)?.[1]?.replace(/=+$/, '') ?? 'unknown';
        records.push({
          kind: 'broken',
          meta: { node, pool: null, benchmark: null, format: 'json' },
          problem: 'truncated',
          detail: `the output of node ${node} is cut off inside its first line (output truncated?)`,
        });
      }
      continue;
    }
    if (!marker) {
      if (open) {
        if (/^[A-Za-z0-9+/=]*$/.test(line)) open.chunks.push(line);
        // A cut-off END line is the last line of a truncated log, not corruption.
        else if (i === last) closeBroken('truncated', `the payload of node ${open.meta.node} is cut off (output truncated?)`);
        else closeBroken('corrupt', `a non-base64 line interrupted the payload of node ${open.meta.node}`);
      } else outside.push(rawLine);
      continue;
    }
    if (marker.type === 'PLAN') {
      const listed = (marker.fields['nodes'] ?? '').split(',').filter((n) => n !== '');
      plan = plan ? plan.concat(listed) : listed;
      continue;
    }
    if (marker.type === 'STATUS') {
      const f = marker.fields;
      records.push({
        kind: 'status',
        status: { node: f['node'] ?? 'unknown', pool: dash(f['pool']), status: f['status'] ?? 'failed', reason: f['reason'] ?? '' },
      });
      continue;
    }
    if (marker.type === 'BEGIN') {
      if (open) closeBroken('truncated', `the payload of node ${open.meta.node} has no END line before the next envelope`);
      open = { meta: metaOf(marker.fields), chunks: [] };
      continue;
    }
    // END
    if (!open) {
      outside.push(rawLine);
      continue;
    }
    const current: { meta: EnvelopeMeta; chunks: string[] } = open;
    open = null;
    const record = decodePayload(current.meta, current.chunks.join(''), marker.fields['sha256'] ?? '', budget);
    if (record.kind === 'payload') budget -= Buffer.byteLength(record.payload);
    records.push(record);
  }
  if (open) closeBroken('truncated', `the payload of node ${(open as { meta: EnvelopeMeta }).meta.node} ends without its END line (output cut off?)`);
  return { records, outside, plan };
}

/** gunzip that stops at `limit` output bytes: a bomb costs the limit, not its inflated size. */
function boundedGunzip(compressed: Buffer, limit: number): Buffer | 'over-limit' {
  try {
    return gunzipSync(compressed, { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if (e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return 'over-limit';
    throw e;
  }
}

function decodePayload(meta: EnvelopeMeta, b64: string, sha: string, logBudget: number): EnvelopeRecord {
  let raw: Buffer | 'over-limit';
  const limit = Math.min(MAX_ENVELOPE_PAYLOAD_BYTES, logBudget);
  try {
    raw = boundedGunzip(Buffer.from(b64, 'base64'), limit);
  } catch (e) {
    const why = errorMessage(e);
    return { kind: 'broken', meta, problem: 'corrupt', detail: `the payload of node ${meta.node} does not decompress (${why})` };
  }
  if (raw === 'over-limit') {
    const which =
      limit === MAX_ENVELOPE_PAYLOAD_BYTES
        ? `over the ${MAX_ENVELOPE_PAYLOAD_BYTES}-byte limit per node (MAX_ENVELOPE_PAYLOAD_BYTES)`
        : `over what is left of the ${MAX_LOG_PAYLOAD_BYTES}-byte limit per command output (MAX_LOG_PAYLOAD_BYTES)`;
    return { kind: 'broken', meta, problem: 'over-limit', detail: `the payload of node ${meta.node} decompresses to ${which}` };
  }
  if (sha && sha256Hex(raw) !== sha.toLowerCase()) {
    return { kind: 'broken', meta, problem: 'corrupt', detail: `the payload of node ${meta.node} does not match its sha256` };
  }
  return { kind: 'payload', meta, payload: raw.toString('utf8') };
}

/** True when the text contains at least one envelope marker. Cheap: used by format detection. */
export function hasEnvelope(text: string): boolean {
  return text.includes(`${MARK}BEGIN `) || text.includes(`${MARK}STATUS `);
}
