/** `aks-fleet-scanner serve`: the API and dashboard over stored results, on localhost. */
import { parseArgs } from 'node:util';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { port: { type: 'string' }, storage: { type: 'string' } } });
  const port = values.port === undefined ? 7071 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port number, not "${values.port}"`);
  const { createRuntime, setSharedRuntime } = await import('../runtime/runtime.js');
  const env = values.storage ? { ...io.env, AZURE_STORAGE_CONNECTION_STRING: values.storage } : io.env;
  setSharedRuntime(await createRuntime(env));
  const { serveHttp } = await import('./host/http-host.js');
  const server = await serveHttp(port, io);
  io.stderr.write(`serve: ${server.url}/api/dashboard (summary: ${server.url}/api/summary), until Ctrl-C\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}
