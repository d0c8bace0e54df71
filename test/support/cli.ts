/** Runs CLI commands in-process with captured streams. */
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { ROOT } from '../fixtures/paths.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { stdin?: string; isTTY?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.isTTY ?? false },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    env: opts.env ?? {},
    cwd: ROOT,
  });
  return { code, stdout, stderr };
}
