/**
 * A loopback TCP proxy the test controls, for network faults between Drawbridge and PostgreSQL:
 * `pause()` stops forwarding in both directions without closing anything (a silent partition: the
 * bytes wait in the proxy), `pauseDownstreamWhen(text)` stops only the answers once the client has
 * sent `text` (the request arrives, its answer does not), `resume()` delivers what waited,
 * `delay(ms)` slows every chunk, `drop()` cuts every connection. Loopback only. `requests` counts
 * round trips as the wire shows them: each time a client speaks after its server has answered.
 */
import net from 'node:net';

interface Pair {
  client: net.Socket;
  server: net.Socket;
  up: Buffer[];
  down: Buffer[];
  /** Who sent the last bytes on this connection. */
  lastFrom: 'client' | 'server' | undefined;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private pausedUp = false;
  private pausedDown = false;
  private trigger: string | undefined;
  private delayMs = 0;
  /** How many connections the proxy has accepted. */
  accepted = 0;
  /**
   * Client requests over all connections: bytes from a client that follow an answer of its server
   * (or open the connection). A pipelined burst counts once however many protocol messages it holds.
   */
  requests = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on 127.0.0.1 (a free port) and forwards to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = net.createServer((socket) => holder.proxy?.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    holder.proxy = new TcpProxy(server, port, target);
    return holder.proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  pause(): void {
    this.pausedUp = true;
    this.pausedDown = true;
  }

  /** Answers stop (requests still pass) from the moment the client sends `text`. */
  pauseDownstreamWhen(text: string): void {
    this.trigger = text;
  }

  get isPaused(): boolean {
    return this.pausedUp || this.pausedDown;
  }

  resume(): void {
    this.pausedUp = false;
    this.pausedDown = false;
    this.trigger = undefined;
    for (const p of this.pairs) {
      for (const b of p.up.splice(0)) p.server.write(b);
      for (const b of p.down.splice(0)) p.client.write(b);
    }
  }

  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Cuts every connection at once. */
  drop(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.server.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted += 1;
    const server = net.connect(this.target.port, this.target.host);
    const pair: Pair = { client, server, up: [], down: [], lastFrom: undefined };
    this.pairs.add(pair);
    const end = (): void => {
      client.destroy();
      server.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (pair.lastFrom !== 'client') this.requests += 1;
      pair.lastFrom = 'client';
      if (this.trigger !== undefined && chunk.includes(this.trigger)) this.pausedDown = true;
      this.forward(chunk, this.pausedUp, pair.up, server);
    });
    server.on('data', (chunk: Buffer) => {
      pair.lastFrom = 'server';
      this.forward(chunk, this.pausedDown, pair.down, client);
    });
  }

  private forward(chunk: Buffer, paused: boolean, queue: Buffer[], to: net.Socket): void {
    if (paused) {
      queue.push(chunk);
      return;
    }
    if (this.delayMs > 0) setTimeout(() => to.write(chunk), this.delayMs);
    else to.write(chunk);
  }
}
