/**
 * The one error type parsers throw. Callers (CLI, API, scan) turn it into a one-line message
 * that names the input; anything else escaping a parser is a bug.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    /** What was read: a file path, "stdin", "node aks-nodepool1-0 log", ... */
    readonly input: string,
    /** What was wrong with it, as one sentence. */
    readonly problem: string,
  ) {
    super(`${input}: ${problem}`);
  }
}

/** The message of anything thrown: an Error's message, or the thrown value as text (a library may throw a string). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first line of errorMessage(e), for one-line logs and outcomes: SDK errors append request details on later lines. */
export function errorLine(e: unknown): string {
  return errorMessage(e).split('\n')[0] ?? '';
}
