/** The API served by the local HTTP host over an Azurite store, with ARM on a closed port (a request that needs ARM fails fast). */
import { serveHttp, type LocalHttpServer, type ServeOptions } from '../../src/cli/host/http-host.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { createRuntime, setSharedRuntime, type Runtime } from '../../src/runtime/runtime.js';
import type { AzuriteHandle } from './azurite.js';

export async function startLocalApi(az: AzuriteHandle, opts: ServeOptions = {}): Promise<{ rt: Runtime; server: LocalHttpServer }> {
  const store = await az.store();
  const rt = await createRuntime(
    { AzureWebJobsStorage: az.instance.connectionString },
    { credential: simulatorCredential(), armEndpoint: 'https://127.0.0.1:9', store, storage: az.target(), log: () => undefined },
  );
  setSharedRuntime(rt);
  const server = await serveHttp(0, { stderr: { write: () => true } }, opts);
  return { rt, server };
}
