import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One request the receiver took. */
export interface ReceivedHook {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** An HTTP receiver run by a test: answers each POST with the next planned status (then 200). */
export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** The statuses of the next requests, in order. */
  answer(...statuses: number[]): void;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const planned: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = planned.shift() ?? 200;
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status, status >= 300 && status < 400 ? { location: '/followed' } : {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/slipway`,
    received,
    answer: (...statuses) => planned.push(...statuses),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
