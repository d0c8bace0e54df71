/** What a CLI command touches of the process, passed in so tests can run commands in-process. */
import type { Readable } from 'node:stream';

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Usage errors exit 2 with a one-line message, like bad input. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export async function readAll(stream: Readable, limit: number, input: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.byteLength;
    if (size > limit) throw new UsageError(`${input}: is over the ${limit}-byte limit`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Aborts on Ctrl-C or SIGTERM: how `serve` and `demo` know to stop. */
export function stopSignal(): AbortSignal {
  const c = new AbortController();
  process.once('SIGINT', () => c.abort());
  process.once('SIGTERM', () => c.abort());
  return c.signal;
}

/** A flag's value from a closed list, or a usage error naming the flag and the choices. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}
