/** A loopback stand-in for a Teams Workflows webhook, for the demo without --webhook: it accepts each post (202) and keeps its size. */
import { createServer } from 'node:http';

export interface DemoReceiver {
  url: string;
  posts: { bytes: number }[];
  close(): Promise<void>;
}

export async function startDemoReceiver(): Promise<DemoReceiver> {
  const posts: { bytes: number }[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      posts.push({ bytes });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/demo-channel`, posts, close: () => new Promise<void>((r) => server.close(() => r())) };
}
