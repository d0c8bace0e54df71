/**
 * The one error the store throws for a failed storage call. It names the table and the operation
 * so that an operator can find the failing step; it never carries the connection string, the
 * request (its headers hold the SharedKey signature) or a SAS query string.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly table: string,
    readonly operation: string,
    /** HTTP status, when the service answered. */
    readonly statusCode: number | undefined,
    /** The service's error code (e.g. "TableNotFound") or the transport's (e.g. "ECONNREFUSED"). */
    readonly code: string | undefined,
    detail: string,
  ) {
    super(
      `table storage: ${operation} on table "${table}" failed${statusCode ? ` (${statusCode}${code ? ` ${code}` : ''})` : code ? ` (${code})` : ''}: ${detail}`,
    );
  }
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  code?: unknown;
}

export function statusOf(e: unknown): number | undefined {
  const s = (e as ErrorLike | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Removes anything that could be a credential from a message we did not write. */
export function scrub(message: string): string {
  return message
    .replace(/(sig|se|sv|sp|sr|st|spr|srt|ss)=[^&\s;"']+/gi, '$1=***')
    .replace(/(AccountKey|SharedAccessSignature)=[^;\s"']+/gi, '$1=***')
    .replace(/(Bearer|SharedKey|SharedKeyLite)\s+[^\s"']+/g, '$1 ***');
}

export function toStoreError(e: unknown, table: string, operation: string): StoreError {
  if (e instanceof StoreError) return e;
  const err = (e ?? {}) as ErrorLike;
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') {
    return new StoreError(table, operation, undefined, 'Timeout', 'the call did not finish within its time limit');
  }
  // The SDK's messages for service errors are JSON or XML bodies; the first line is enough.
  const raw = typeof err.message === 'string' ? err.message : String(e);
  const first = scrub(raw.split('\n')[0] ?? '').slice(0, 300);
  return new StoreError(table, operation, statusOf(e), code, first || 'no detail');
}
