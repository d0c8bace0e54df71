import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { runSimulatorCli } from '../../src/simulator/index.js';
import { ROOT } from '../fixtures/paths.js';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let buf = '';
  out.on('data', (c: Buffer) => (buf += c.toString('utf8')));
  return { out, text: () => buf };
}

describe('aks-fleet-scanner simulator', () => {
  it('serves a fleet file, prints its endpoint and CA path, and stops on abort', async () => {
    const { out, text } = capture();
    const ac = new AbortController();
    const done = runSimulatorCli(['--fleet', `${ROOT}examples/fleets/demo.json`, '--page-size', '5'], out, ac.signal);
    // Bounded by the test's own timeout rather than by a count a loaded machine can exhaust.
    for (let i = 0; i < 5000 && !text().includes('ca: '); i++) await new Promise((r) => setTimeout(r, 10));
    const endpoint = /endpoint: (https:\/\/127\.0\.0\.1:\d+)/.exec(text())?.[1];
    const caPath = /ca: (\S+)/.exec(text())?.[1];
    expect(endpoint).toBeDefined();
    expect(caPath).toMatch(/ca\.pem$/);
    // With the printed CA, the endpoint answers over TLS: the simulator is really listening.
    const url = `${endpoint}/subscriptions?api-version=2022-12-01`;
    const ca = readFileSync(caPath!, 'utf8');
    const get = (opts: { ca?: string }) =>
      new Promise<number>((resolve, reject) =>
        request(url, { ...opts, agent: false, headers: { authorization: 'Bearer simulator' } }, (r) => resolve(r.resume().statusCode ?? 0))
          .on('error', reject)
          .end(),
      );
    expect(await get({ ca })).toBeGreaterThanOrEqual(200);
    // Without it, the certificate is refused (not the connection): clients must pass the CA.
    const untrusted = (await get({}).catch((e: unknown) => e)) as { code?: string };
    expect(untrusted.code).toMatch(/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
    ac.abort();
    expect(await done).toBe(0);
    // Stopped means stopped: the port no longer accepts connections.
    const after = (await get({ ca }).catch((e: unknown) => e)) as { code?: string };
    expect(after.code).toBe('ECONNREFUSED');
    expect(text()).toMatch(/ARM simulator stopped after \d+ request\(s\)/);
  });

  it('names a bad fleet file in its error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aksfs-cli-'));
    const file = join(dir, 'fleet.json');
    writeFileSync(file, '{"subscriptions": []}');
    const { out } = capture();
    const err = await runSimulatorCli(['--fleet', file], out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain(file);
    writeFileSync(file, 'not json');
    await expect(runSimulatorCli(['--fleet', file], out)).rejects.toThrow(/is not JSON/);
    await expect(runSimulatorCli(['--port', 'x'], out)).rejects.toThrow(/--port: must be a whole number/);
  });
});
