/**
 * The browser tests' and the screenshots' host: `aks-fleet-scanner demo` itself, in a child process
 * (`--port 0`, so it serves until stopped): the simulated fleet scanned through timer, queue,
 * workers and tables in its in-memory Azurite, then the API and the dashboard on loopback. The
 * tests reach that Azurite's tables (its port is on the demo's stderr) to add what they need.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../src/local/azurite.js';
import { createStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import { ROOT } from '../fixtures/paths.js';

export interface DemoHost {
  /** The API's base, e.g. http://127.0.0.1:40123 (the dashboard is at /api/dashboard). */
  url: string;
  /** The demo's own store (its Azurite, its default table names). */
  store: Store;
  stderr: () => string;
  stop: () => Promise<void>;
}

export interface DemoOptions {
  clusters: number;
  seed: number;
  /** Two rounds: the fleet drifts between them (src/cli/demo-drift.ts), so trend and changes have something to show. */
  scans: 1 | 2;
}

/** The demo fleet the tests and the screenshots use. */
export const DEMO: DemoOptions = { clusters: 12, seed: 5, scans: 2 };

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    // The demo stops on SIGINT as on Ctrl-C: it closes its server, simulator and Azurite.
    child.kill('SIGINT');
  });
}

export async function startDemoHost(o: DemoOptions = DEMO, timeoutMs = 240_000): Promise<DemoHost> {
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'demo', '--port', '0', '--clusters', String(o.clusters), '--seed', String(o.seed)];
  args.push('--scans', String(o.scans));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => (err += s));
  try {
    const found = await new Promise<{ url: string; tablePort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start serving within ${timeoutMs} ms:\n${err}`)), timeoutMs);
      const check = (): void => {
        const url = /^\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/dashboard$/m.exec(err)?.[1];
        const port = /Azurite \(in memory\) on 127\.0\.0\.1:(\d+)/.exec(err)?.[1];
        if (url && port) {
          clearTimeout(timer);
          resolve({ url, tablePort: Number(port) });
        }
      };
      child.stderr?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo exited with ${code} before serving:\n${err}`));
      });
    });
    const connection = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:${found.tablePort}/${AZURITE_ACCOUNT};`;
    const store = createStore({ kind: 'connection-string', value: connection });
    return { url: found.url, store, stderr: () => err, stop: () => stopChild(child) };
  } catch (e) {
    await stopChild(child);
    throw e;
  }
}
