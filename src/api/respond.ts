/** Response builders and the one error type handlers throw to answer with a status. */
import { toCsv } from '../report/csv.js';
import type { ApiResponse } from './types.js';

export type ErrorCode = 'BadRequest' | 'NotFound' | 'MethodNotAllowed' | 'NotAcceptable' | 'StoreUnavailable' | 'ScannerUnavailable' | 'InternalError';

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

export function json(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { ...COMMON, 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

export function csv(name: string, header: readonly string[], rows: readonly (readonly unknown[])[]): ApiResponse {
  const file = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    status: 200,
    headers: { ...COMMON, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${file}.csv"` },
    body: toCsv(header, rows),
  };
}

export function errorResponse(e: ApiError): ApiResponse {
  return json(e.status, { error: { code: e.code, message: e.message } }, e.headers);
}
