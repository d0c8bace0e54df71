import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startAzurite } from '../../src/local/azurite.js';
import { createQueueClient, createTableClient } from '../../src/store/clients.js';

describe('startAzurite', () => {
  it('serves tables and queues on free loopback ports, in memory, and leaves no files', async () => {
    // Only Azurite's own file names: other processes share the checkout and the temp folder.
    const azuriteFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /azurite|__blobstorage__|__queuestorage__|__tablestorage__/i.test(f));
    const tmpBefore = azuriteFiles(tmpdir());
    const cwdBefore = azuriteFiles(process.cwd());
    const a = await startAzurite();
    const b = await startAzurite();
    try {
      expect(new Set([a.tablePort, a.queuePort, a.blobPort, b.tablePort]).size).toBe(4);
      expect(a.connectionString).toContain(`TableEndpoint=http://127.0.0.1:${a.tablePort}/devstoreaccount1`);
      const target = { kind: 'connection-string' as const, value: a.connectionString };
      const t = createTableClient(target, 'smoke');
      await t.createTable();
      await t.upsertEntity({ partitionKey: 'p', rowKey: 'r', v: 'x' });
      expect((await t.getEntity<{ v: string }>('p', 'r')).v).toBe('x');
      // The two instances do not share data.
      const other = createTableClient({ kind: 'connection-string', value: b.connectionString }, 'smoke');
      await other.createTable();
      await expect(other.getEntity('p', 'r')).rejects.toMatchObject({ statusCode: 404 });
      const q = createQueueClient(target, 'scan-requests');
      await q.createIfNotExists();
      await q.sendMessage('hello');
      expect((await q.receiveMessages()).receivedMessageItems.map((m) => m.messageText)).toEqual(['hello']);
    } finally {
      await a.stop();
      await b.stop();
      await a.stop(); // stopping twice is harmless
    }
    expect(azuriteFiles(process.cwd())).toEqual(cwdBefore);
    expect(azuriteFiles(tmpdir())).toEqual(tmpBefore);
  });

  it('refuses a non-loopback host', async () => {
    await expect(startAzurite({ host: '0.0.0.0' })).rejects.toThrow(/not a loopback/);
  });
});
