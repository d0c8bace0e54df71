/**
 * Runs Azurite (blob, queue, table) inside this Node process, for the demo and the tests.
 *
 * In-process rather than spawning the bin: no child process to leak, no port race (we bind port 0
 * and read back the port), no stdout parsing, and no telemetry (only Azurite's CLI entry point
 * starts its telemetry client; the servers themselves do not). With `inMemory` (the default)
 * Azurite's Loki stores use the "memory" persistence method and extents stay in a chunk store
 * owned by this instance, so nothing is written to disk.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../model/errors.js';

/** Azurite's published development account; a well-known value, not a secret. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Keep everything in memory (default true). False uses a temporary folder removed on stop. */
  inMemory?: boolean;
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
}

// Azurite ships CommonJS without type declarations: describe only what we call.
interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type ServerCtor = new (config: unknown) => AzuriteServer;
type ConfigCtor = new (...args: unknown[]) => unknown;
interface ChunkStoreCtor {
  new (sizeLimit?: number): unknown;
}

const require = createRequire(import.meta.url);

function load<T>(path: string, what: string): T {
  const mod = require(`azurite/dist/src/${path}`) as Record<string, unknown>;
  const value = (mod['default'] ?? mod[what]) as T | undefined;
  if (value === undefined) throw new Error(`azurite: ${path} does not export ${what}; was the azurite package upgraded?`);
  return value;
}

function portOf(server: AzuriteServer): number {
  const m = /:(\d+)$/.exec(server.getHttpServerAddress());
  if (!m?.[1]) throw new Error(`azurite: cannot read the listening port from ${server.getHttpServerAddress()}`);
  return Number(m[1]);
}

/** The connection string of Azurite's development account at these ports (they may be different Azurite processes). */
export function azuriteConnectionString(ports: { blobPort: number; queuePort: number; tablePort: number }, host = '127.0.0.1'): string {
  const base = `http://${host.includes(':') ? `[${host}]` : host}`;
  const at = (port: number): string => `${base}:${port}/${AZURITE_ACCOUNT}`;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=${at(ports.blobPort)};QueueEndpoint=${at(ports.queuePort)};TableEndpoint=${at(ports.tablePort)};`
  );
}

/** Starts blob, queue and table services on free loopback ports. */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const inMemory = opts.inMemory ?? true;
  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host)) throw new Error(`startAzurite: host ${host} is not a loopback address`);

  const BlobConfiguration = load<ConfigCtor>('blob/BlobConfiguration', 'default');
  const BlobServer = load<ServerCtor>('blob/BlobServer', 'default');
  const QueueConfiguration = load<ConfigCtor>('queue/QueueConfiguration', 'default');
  const QueueServer = load<ServerCtor>('queue/QueueServer', 'default');
  const TableConfiguration = load<ConfigCtor>('table/TableConfiguration', 'default');
  const TableServer = load<ServerCtor>('table/TableServer', 'default');
  const chunkModule = require('azurite/dist/src/common/persistence/MemoryExtentStore') as { MemoryExtentChunkStore?: ChunkStoreCtor };
  const ChunkStore = chunkModule.MemoryExtentChunkStore;
  if (!ChunkStore) throw new Error('azurite: MemoryExtentStore does not export MemoryExtentChunkStore; was the azurite package upgraded?');

  // Paths are only used when not in memory; a private temp folder keeps runs apart and is removed on stop.
  const dir = inMemory ? null : mkdtempSync(join(tmpdir(), 'aksfs-azurite-'));
  const at = (name: string): string => join(dir ?? tmpdir(), name);
  // An own chunk store per instance (64 MiB cap) rather than Azurite's process-wide one sized at half of RAM.
  const chunks = inMemory ? new ChunkStore(64 * 1024 * 1024) : undefined;
  const persistence = [{ locationId: 'Default', locationPath: at('extents'), maxConcurrency: 10 }];

  // Positional constructors (see azurite/dist/src/*/…Configuration.js): host, port, keepAlive, db paths,
  // persistence, access log off, no stream, debug log off, no debug file, loose, skipApiVersionCheck,
  // no cert/key/pwd/oauth, product-style URLs allowed, in-memory, chunk store.
  const blob = new BlobServer(
    new BlobConfiguration(
      host,
      0,
      5,
      at('blob.json'),
      at('blob-extent.json'),
      persistence,
      false,
      undefined,
      false,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      inMemory,
      chunks,
    ),
  );
  const queue = new QueueServer(
    new QueueConfiguration(
      host,
      0,
      5,
      at('queue.json'),
      at('queue-extent.json'),
      persistence,
      false,
      undefined,
      false,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      inMemory,
      chunks,
    ),
  );
  const table = new TableServer(
    new TableConfiguration(host, 0, 5, at('table.json'), false, false, undefined, undefined, false, true, '', '', '', undefined, false, inMemory),
  );

  const started: AzuriteServer[] = [];
  try {
    for (const s of [blob, queue, table]) {
      await s.start();
      started.push(s);
    }
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw new Error(`startAzurite: a service did not start (${errorMessage(e)})`, { cause: e });
  }

  const blobPort = portOf(blob);
  const queuePort = portOf(queue);
  const tablePort = portOf(table);
  const connectionString = azuriteConnectionString({ blobPort, queuePort, tablePort }, host);

  let stopped = false;
  return {
    connectionString,
    blobPort,
    queuePort,
    tablePort,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled(started.map((s) => s.close()));
      await Promise.allSettled(started.map((s) => s.clean()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
