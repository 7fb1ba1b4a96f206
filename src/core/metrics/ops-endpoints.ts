/**
 * The operator's HTTP endpoints, `GET /healthz` and `GET /metrics`, as one request handler that the
 * Slack app's server (HTTP and Socket Mode) and the metrics port's own server share. `/metrics` is
 * served only where it was asked for, and with a token configured only to a matching bearer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../base/logger.js';
import type { BotMetrics } from './bot-metrics.js';
import type { HealthReport } from './health.js';

/** What the endpoints serve. */
export interface OpsEndpoints {
  /** `/healthz`; absent: that server does not answer it. */
  readonly health?: () => HealthReport;
  /** `/metrics`; absent: not served here. */
  readonly metrics?: Pick<BotMetrics, 'text' | 'contentType'>;
  /** When set, `/metrics` requires `Authorization: Bearer <token>` (401 otherwise). */
  readonly token?: string;
}

/** Compares in constant time (both sides hashed first, so their lengths do not show either). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(m?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] as string;
}

/**
 * Answers `GET /healthz` and `GET /metrics` when `ops` serves them; returns false (and writes
 * nothing) for any other request, so the caller can answer it.
 */
export function handleOpsRequest(ops: OpsEndpoints, req: IncomingMessage, res: ServerResponse): boolean {
  const path = pathOf(req);
  if (req.method !== 'GET') return false;
  if (path === '/healthz' && ops.health) {
    const report = ops.health();
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify(report));
    return true;
  }
  if (path === '/metrics' && ops.metrics) {
    if (ops.token !== undefined && !bearerMatches(req.headers.authorization, ops.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
      res.end('a bearer token is required\n');
      return true;
    }
    const metrics = ops.metrics;
    void metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('metrics could not be collected\n');
      },
    );
    return true;
  }
  return false;
}

/** A small HTTP server of its own (the metrics port, or `/healthz` in Socket Mode). */
export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a server that answers `ops` and 404 otherwise. */
export async function startOpsServer(
  ops: OpsEndpoints,
  listen: { port: number; host: string },
  logger: Pick<Logger, 'info'>,
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    if (!handleOpsRequest(ops, req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: listen.host, metrics: Boolean(ops.metrics) }, 'operator endpoints are listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
