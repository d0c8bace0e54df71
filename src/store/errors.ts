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
  // Without an x-ms-error-code header (Azurite), the service's code is in the odata.error body.
  const serviceCode = code ?? /"code"\s*:\s*"([A-Za-z]+)"/.exec(raw)?.[1];
  return new StoreError(table, operation, statusOf(e), serviceCode, first || 'no detail');
}

/** A value too large for Table Storage, found before sending: the same scan fails the same way on every delivery. */
export class EntityTooLargeError extends Error {
  override readonly name = 'EntityTooLargeError';
  constructor(
    readonly what: string,
    readonly problem: string,
  ) {
    super(`${what}: ${problem}`);
  }
}

/**
 * Whether trying again can help. `transient`: the network, a timeout, throttling, the service busy or
 * unavailable, a lost write race. `deterministic`: the input, its schema, its size, a key too long, a
 * corrupt entity: the same message fails the same way on every delivery, and in production each
 * delivery runs another run-command on the cluster, so it is recorded at once and not retried.
 */
export type ErrorClass = 'transient' | 'deterministic';

/** HTTP statuses worth a retry: timeout, conflict or lost ETag race, throttling, and every server error. */
function transientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 412 || status === 429 || status >= 500;
}

/** Error names of values that are wrong whatever the moment: our input errors and the runtime's data errors (not TypeError: fetch reports a network failure as one). */
const DETERMINISTIC_NAMES = new Set(['InputError', 'EntityTooLargeError', 'CorruptEntityError', 'ZodError', 'RangeError', 'SyntaxError']);

export function classifyError(e: unknown): ErrorClass {
  if (e instanceof StoreError) {
    if (e.code === 'CorruptEntity') return 'deterministic';
    // No status: the request never got an answer (connection refused or reset, DNS, timeout).
    if (e.statusCode === undefined) return 'transient';
    return transientStatus(e.statusCode) ? 'transient' : 'deterministic';
  }
  const err = (e ?? {}) as ErrorLike;
  const status = statusOf(e);
  if (status !== undefined) return transientStatus(status) ? 'transient' : 'deterministic';
  if (typeof err.name === 'string' && DETERMINISTIC_NAMES.has(err.name)) return 'deterministic';
  // Anything else (a network error, an abort, an error we do not know) keeps the host's bounded retries.
  return 'transient';
}
