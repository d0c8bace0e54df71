/**
 * The ARM simulator (src/simulator) and the embedded Azurite starter (src/local) are development
 * tooling: a checkout has them, the deployed package does not (scripts/stage-package.mjs leaves them
 * and their dependencies out). Commands that need them load them through here, so that without them
 * the answer is one line, not a module-resolution stack trace.
 */
import { UsageError } from './io.js';

const DEV_ONLY = /[/\\]src[/\\](simulator|local)[/\\]|['"](selfsigned|yaml|azurite)['"]/;

function isMissingDevTooling(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  return (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && DEV_ONLY.test(err.message ?? '');
}

export async function loadDevTooling<T>(command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isMissingDevTooling(e))
      throw new UsageError(
        `${command} needs the development tooling (ARM simulator, embedded Azurite), which this package leaves out: run it from a checkout after npm ci`,
      );
    throw e;
  }
}
