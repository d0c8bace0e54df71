/** A local stand-in for Teams Workflows webhooks: records every POST and answers as scripted (202 by default). */
import { createServer, type Server } from 'node:http';

export interface Post {
  path: string;
  body: unknown;
  bytes: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export interface Receiver {
  /** http://127.0.0.1:<port>; a path per channel makes channels tell apart. */
  url(path: string): string;
  posts: Post[];
  /** Answers for the next requests, in order; then 202 again. */
  script(...answers: Answer[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const posts: Post[] = [];
  let scripted: Answer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const answer = scripted.shift() ?? { status: 202 };
      // Only accepted posts count as received by the channel.
      if (answer.status >= 200 && answer.status < 300)
        posts.push({ path: (req.url ?? '').split('?')[0] ?? '', body: JSON.parse(raw.toString('utf8')) as unknown, bytes: raw.length });
      res.writeHead(answer.status, answer.headers ?? {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}?sig=SECRET-SIGNATURE-${path.replace(/\W/g, '')}`,
    posts,
    script: (...answers) => {
      scripted = answers;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
