/** Response builders and the one error type handlers throw to answer with a status. */
import { csvLine } from '../report/csv.js';
import type { ApiResponse } from './types.js';

export type ErrorCode =
  | 'BadRequest'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'PreconditionFailed'
  | 'WaiversUnavailable'
  | 'NotAcceptable'
  | 'ResponseTooLarge'
  | 'StoreUnavailable'
  | 'ScannerUnavailable'
  | 'InternalError';

/**
 * Largest response body, in characters. Every route pages or is bounded by the input limits
 * (src/parse/limits.ts); this guard answers 422 for anything that still grows past it, e.g. a node
 * stored before the limits, instead of building it until the process runs out of memory.
 */
export const MAX_RESPONSE_CHARS = 8 * 1024 * 1024;

/** A failure the client should see as is: the message names the input and what was wrong. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
export const notFound = (message: string): ApiError => new ApiError(404, 'NotFound', message);

const COMMON: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const tooLarge = (what: string): ApiError =>
  new ApiError(
    422,
    'ResponseTooLarge',
    `the ${what} would be over ${MAX_RESPONSE_CHARS} characters, the largest this API answers; ask for less (a smaller top, a filter, or one node)`,
  );

export function json(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  let body: string;
  try {
    body = JSON.stringify(value);
  } catch (e) {
    if (e instanceof RangeError) throw tooLarge('JSON answer');
    throw e;
  }
  if (body.length > MAX_RESPONSE_CHARS) throw tooLarge('JSON answer');
  return { status, headers: { ...COMMON, 'content-type': 'application/json; charset=utf-8', ...headers }, body };
}

/** Built line by line and refused as soon as it passes the limit, so a huge table never sits in memory whole. */
export function csv(name: string, header: readonly string[], rows: Iterable<readonly unknown[]>): ApiResponse {
  const file = name.replace(/[^A-Za-z0-9._-]/g, '_');
  const lines = [csvLine(header)];
  let size = lines[0]?.length ?? 0;
  for (const r of rows) {
    const line = csvLine(r);
    size += line.length + 2;
    if (size > MAX_RESPONSE_CHARS) throw tooLarge('CSV answer');
    lines.push(line);
  }
  return {
    status: 200,
    headers: { ...COMMON, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file}.csv"` },
    body: lines.join('\r\n') + '\r\n',
  };
}

export function errorResponse(e: ApiError): ApiResponse {
  return json(e.status, { error: { code: e.code, message: e.message } }, e.headers);
}
