/** serve/demo's HTTP host: real HTTP on loopback into the same Functions handler. */
import { afterAll, describe, expect, it } from 'vitest';
import { serveHttp } from '../../src/cli/host/http-host.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import { createRuntime, setSharedRuntime } from '../../src/runtime/runtime.js';
import { useAzurite } from '../support/azurite.js';

const az = useAzurite();
afterAll(() => setSharedRuntime(undefined));

describe('the local HTTP host', () => {
  it('serves the API and the dashboard over HTTP from the stored fleet', async () => {
    const store = await az.store();
    setSharedRuntime(
      await createRuntime({ AzureWebJobsStorage: az.instance.connectionString }, { credential: simulatorCredential(), store, storage: az.target() }),
    );
    let log = '';
    const server = await serveHttp(0, { stderr: { write: (s: string) => (log += s) } });
    try {
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const summary = await fetch(`${server.url}/api/summary`);
      expect(summary.status).toBe(200);
      expect(((await summary.json()) as { clusters: { total: number } }).clusters.total).toBe(0);
      const root = await fetch(`${server.url}/`);
      expect(root.headers.get('content-type')).toMatch(/text\/html/);
      expect(await root.text()).toMatch(/<html/i);
      const bad = await fetch(`${server.url}/api/clusters?top=9999`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/top/);
    } finally {
      await server.close();
    }
    expect(log).not.toMatch(/AccountKey/);
  });
});
