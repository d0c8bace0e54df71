/**
 * One entry point for every form kube-bench output reaches us in. Detects the format unless told,
 * enforces the input limits, and throws only InputError.
 */
import { InputError } from '../model/errors.js';
import { hasEnvelope } from '../model/envelope.js';
import type { InputFormat, ParsedInput } from '../model/result.js';
import { looksLikeKubeBench, normaliseKubeBench, parseJsonText } from './json.js';
import { parseKubeBenchLog } from './log.js';
import { parseKubeBenchText } from './text.js';

export { normaliseKubeBench, parseJsonText, looksLikeKubeBench } from './json.js';
export { parseKubeBenchText } from './text.js';
export { parseKubeBenchLog } from './log.js';

/** Largest input accepted: a run-command log is capped at 512 kB; a full multi-target JSON stays far below this. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;

export const INPUT_FORMATS: readonly InputFormat[] = ['json', 'log', 'text'];

/** Guesses the format from the content. */
export function detectFormat(text: string): InputFormat {
  const head = text.trimStart();
  // One JSON document: it opens with { or [ (not a "[PASS]" tag) and closes with } or ]. Decided
  // from its two ends, without scanning the body: this runs on every node's output.
  if (/^(\{|\[\s*[^A-Za-z\s])/.test(head)) {
    const last = text.trimEnd().at(-1);
    if (last === '}' || last === ']') return 'json';
  }
  if (hasEnvelope(text)) return 'log';
  // eslint-disable-next-line no-control-regex -- a coloured status tag starts with an escape code
  if (/^\s*(?:\d+[.)]\s+|[-*+]\s+)?(?:\u001b\[[0-9;]*m)?\[(PASS|FAIL|WARN|INFO)\]/m.test(text) && !/^\s*\{"Controls"/m.test(text)) return 'text';
  return 'log';
}

/** Rejects what cannot be kube-bench output before any parser sees it. */
export function decodeInput(bytes: Uint8Array, input: string): string {
  if (bytes.byteLength === 0) throw new InputError(input, 'is empty');
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    throw new InputError(input, `is ${bytes.byteLength} bytes, over the ${MAX_INPUT_BYTES}-byte limit`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) throw new InputError(input, 'is gzip-compressed: decompress it first (gunzip)');
  // PowerShell's `>` writes UTF-16 with a byte-order mark: read it rather than call it binary.
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
  let text: string;
  if (utf16) text = new TextDecoder(utf16).decode(bytes.subarray(2));
  else {
    const sample = bytes.subarray(0, Math.min(bytes.byteLength, 8192));
    let control = 0;
    for (const b of sample) {
      if (b === 0) throw new InputError(input, 'is binary data (it contains NUL bytes), not kube-bench output');
      if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
    }
    if (control > sample.byteLength / 20) throw new InputError(input, 'is binary data, not kube-bench output');
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new InputError(input, 'is not UTF-8 text (save it as UTF-8 and try again)');
    }
  }
  const trimmed = text.replace(/^\uFEFF/, '');
  if (trimmed.trim() === '') throw new InputError(input, 'holds only white space');
  return trimmed;
}

export interface ParseOptions {
  /** Forces a format instead of detecting it. */
  format?: InputFormat;
}

export function parseKubeBenchOutput(text: string, input: string, opts: ParseOptions = {}): ParsedInput {
  const format = opts.format ?? detectFormat(text);
  if (format === 'json') {
    const doc = parseJsonText(text, input);
    if (!looksLikeKubeBench(doc)) throw new InputError(input, `is JSON but not kube-bench output: ${describeShape(doc)}`);
    const node = normaliseKubeBench(doc, input);
    return { format, nodes: [node], failures: [], warnings: [] };
  }
  if (format === 'text') return { format, nodes: [parseKubeBenchText(text, input)], failures: [], warnings: [] };
  return parseKubeBenchLog(text, input);
}

/** Bytes in, results out: the limits, decoding and parsing in one call. */
export function parseKubeBenchBytes(bytes: Uint8Array, input: string, opts: ParseOptions = {}): ParsedInput {
  return parseKubeBenchOutput(decodeInput(bytes, input), input, opts);
}

function describeShape(doc: unknown): string {
  if (Array.isArray(doc)) return doc.length === 0 ? 'an empty array' : 'an array whose first element is not a controls object with "tests"';
  if (doc !== null && typeof doc === 'object') {
    const keys = Object.keys(doc).slice(0, 5).join(', ') || 'none';
    return `an object without a "Controls" array (top-level keys: ${keys})`;
  }
  return `a bare ${doc === null ? 'null' : typeof doc}`;
}
