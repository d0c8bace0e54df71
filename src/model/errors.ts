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
