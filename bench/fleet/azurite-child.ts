/**
 * Azurite in a process of its own, for the fleet bench: the harness runs one for the queue and one
 * for the tables, so that neither shares a thread with the other or with the ARM simulator. Azurite
 * serves each request on one thread, and at 2,000 clusters one thread for all three would be the
 * bench's bottleneck, which no Azure deployment has (Storage is not one process).
 */
import { startAzurite } from '../../src/local/azurite.js';

export interface AzuriteChildReady {
  type: 'ready';
  blobPort: number;
  queuePort: number;
  tablePort: number;
}

export interface AzuriteChildCpu {
  type: 'cpu';
  /** User + system CPU since the last 'mark' (else the start), ms. */
  cpuMs: number;
}

async function main(): Promise<void> {
  const az = await startAzurite();
  let cpu0 = process.cpuUsage();
  process.on('message', (m) => {
    if (m === 'mark') cpu0 = process.cpuUsage();
    if (m === 'cpu') {
      const c = process.cpuUsage(cpu0);
      process.send?.({ type: 'cpu', cpuMs: (c.user + c.system) / 1000 } satisfies AzuriteChildCpu);
    }
    if (m === 'stop') void az.stop().finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', blobPort: az.blobPort, queuePort: az.queuePort, tablePort: az.tablePort } satisfies AzuriteChildReady);
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet bench azurite: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
