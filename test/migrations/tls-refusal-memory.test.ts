/**
 * `sslmode=prefer` against an endpoint that answers "no TLS" (N to SSLRequest): node-pg cannot go on
 * without TLS on the same connection as libpq does, so the fallback is a second connection. For a
 * minute after such an answer, further `prefer` sessions to that endpoint start without TLS (one
 * connection each), and go back to TLS when the endpoint refuses a plain session. Connections are
 * counted at a loopback endpoint the test controls, in front of real PostgreSQL clusters (one without
 * TLS, one that accepts TLS only).
 */
import net from 'node:net';
import {
  closeSession,
  openSession,
  parseDatabaseUrl,
  sessionUsesTls,
} from '../../src/migrations/connection.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTlsCluster, stopTlsCluster, type TlsCluster } from '../support/tls-cluster.js';

/** A loopback endpoint that forwards each connection to `target` (which a test may change), counting them. */
class Endpoint {
  accepted = 0;
  private readonly sockets = new Set<net.Socket>();
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    public target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<Endpoint> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = new Endpoint(server, (server.address() as net.AddressInfo).port, target);
    server.on('connection', (socket: net.Socket) => endpoint.accept(socket));
    return endpoint;
  }

  private accept(client: net.Socket): void {
    this.accepted += 1;
    const upstream = net.connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** `url` with this endpoint's host and port. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let plain: TestDatabase;
let tls: TlsCluster;

beforeAll(async () => {
  plain = await createTestDatabase('tlsmemory');
  tls = await startTlsCluster();
}, 60_000);

afterAll(async () => {
  await plain?.drop();
  if (tls) stopTlsCluster(tls);
});

/** Opens a session through `endpoint`, reports whether it uses TLS and how many connections it took. */
async function session(
  endpoint: Endpoint,
  url: string,
): Promise<{ tls: boolean | undefined; connections: number }> {
  const before = endpoint.accepted;
  const client = await openSession(parseDatabaseUrl(endpoint.url(url)));
  try {
    await client.query('SELECT 1');
    return { tls: sessionUsesTls(client), connections: endpoint.accepted - before };
  } finally {
    await closeSession(client);
  }
}

describe('sslmode=prefer against an endpoint without TLS', () => {
  it('pays the refused TLS attempt once, then opens one plain connection per session', async () => {
    const endpoint = await Endpoint.start({ host: plain.cluster.host, port: plain.cluster.port });
    try {
      const url = `${plain.url}${plain.url.includes('?') ? '&' : '?'}sslmode=prefer`;
      expect(await session(endpoint, url)).toEqual({ tls: false, connections: 2 });
      expect(await session(endpoint, url)).toEqual({ tls: false, connections: 1 });
      expect(await session(endpoint, url)).toEqual({ tls: false, connections: 1 });
      // Other modes are not affected: disable is one plain connection, as always.
      const disable = url.replace('sslmode=prefer', 'sslmode=disable');
      expect(await session(endpoint, disable)).toEqual({ tls: false, connections: 1 });
    } finally {
      await endpoint.close();
    }
  });

  it('goes back to TLS first when that endpoint refuses a plain session', async () => {
    // The endpoint leads to the server without TLS (which answers N), then to one that accepts TLS
    // only (pg_hba.conf hostssl), as if the server behind it had been reconfigured.
    const endpoint = await Endpoint.start({ host: plain.cluster.host, port: plain.cluster.port });
    try {
      const first = `${plain.url}${plain.url.includes('?') ? '&' : '?'}sslmode=prefer`;
      expect(await session(endpoint, first)).toEqual({ tls: false, connections: 2 });
      endpoint.target = { host: tls.cluster.host, port: tls.cluster.port };
      const url = tls.url('postgres', 'sslmode=prefer');
      // Remembered: plain first, refused by pg_hba.conf, then TLS, which works.
      expect(await session(endpoint, url)).toEqual({ tls: true, connections: 2 });
      // Forgotten: TLS first again.
      expect(await session(endpoint, url)).toEqual({ tls: true, connections: 1 });
    } finally {
      await endpoint.close();
    }
  });
});
