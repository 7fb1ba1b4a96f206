/**
 * A minimal app endpoint for emulator tests that need to see the raw request: it records method,
 * headers and body of every POST and answers with what the test's `reply` function returns
 * (or never answers, to provoke Slack's ack timeout).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  body?: string;
  contentType?: string;
  /** Do not answer at all. */
  hang?: boolean;
}

export interface CaptureApp {
  url: string;
  requests: Captured[];
  reply: (req: Captured) => Reply;
  close(): Promise<void>;
}

export async function startCaptureApp(): Promise<CaptureApp> {
  const app: CaptureApp = { url: '', requests: [], reply: () => ({}), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      app.requests.push(captured);
      const r = app.reply(captured);
      if (r.hang === true) return;
      res
        .writeHead(r.status ?? 200, r.contentType ? { 'content-type': r.contentType } : {})
        .end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  app.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  app.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return app;
}
