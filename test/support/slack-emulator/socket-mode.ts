/**
 * Socket Mode server on the emulator's port: `ws://127.0.0.1:PORT/link/?ticket=...`.
 * Sends `hello` on connect, delivers envelopes, waits for `{envelope_id, payload}` acks.
 * The `ws` package answers the client's pings itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EmulatorContext } from './context.js';
import type { Delivery } from './types.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** Turns an ack payload into a Delivery body the way the same ack looks over HTTP. */
function ackDelivery(payload: unknown, ackMs: number): Delivery {
  const p = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  const keys = Object.keys(p);
  if (keys.length === 0) return { status: 200, ackMs, body: '', timedOut: false };
  if (keys.length === 1 && typeof p.text === 'string')
    return { status: 200, ackMs, body: p.text, timedOut: false };
  return { status: 200, ackMs, body: JSON.stringify(p), json: p, timedOut: false };
}

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets: WebSocket[] = [];
  private readonly pending = new Map<string, (payload: unknown) => void>();

  constructor(private readonly ctx: EmulatorContext) {}

  get connections(): number {
    return this.sockets.length;
  }

  issueTicket(): string {
    const t = this.ctx.ids.secret();
    this.tickets.add(t);
    return t;
  }

  /** HTTP upgrade handler: accepts only `/link/` with an unused ticket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: { envelope_id?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.envelope_id === 'string') this.pending.get(msg.envelope_id)?.(msg.payload);
    });
    ws.on('close', () => {
      const i = this.sockets.indexOf(ws);
      if (i >= 0) this.sockets.splice(i, 1);
      this.ctx.store.changed();
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.length + 1,
        debug_info: {
          host: 'drawbridge-slack-emulator',
          build_number: 1,
          approximate_connection_time: 18060,
        },
        connection_info: { app_id: this.ctx.opts.appId },
      }),
    );
    this.sockets.push(ws);
    this.ctx.store.changed();
  }

  /** Sends one envelope to the newest connection and waits for its ack (up to ackTimeoutMs). */
  deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    acceptsResponsePayload: boolean,
  ): Promise<Delivery> {
    const ws = this.sockets[this.sockets.length - 1];
    if (ws === undefined)
      return Promise.reject(new Error('Slack emulator: no Socket Mode connection is open'));
    const envelopeId = this.ctx.ids.envelopeId();
    const started = performance.now();
    const envelope: Record<string, unknown> = {
      envelope_id: envelopeId,
      type,
      accepts_response_payload: acceptsResponsePayload,
      payload,
    };
    if (type === 'events_api') Object.assign(envelope, { retry_attempt: 0, retry_reason: '' });
    return new Promise<Delivery>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        resolve({ status: 0, ackMs: performance.now() - started, body: '', timedOut: true });
      }, this.ctx.opts.ackTimeoutMs);
      this.pending.set(envelopeId, (ack) => {
        clearTimeout(timer);
        this.pending.delete(envelopeId);
        resolve(ackDelivery(ack, performance.now() - started));
      });
      ws.send(JSON.stringify(envelope));
    });
  }

  /** Sends `text` verbatim (malformed envelopes included) to the newest connection. */
  sendRaw(text: string): void {
    const ws = this.sockets[this.sockets.length - 1];
    if (ws === undefined) throw new Error('Slack emulator: no Socket Mode connection is open');
    ws.send(text);
  }

  disconnect(reason: string): void {
    for (const ws of this.sockets)
      ws.send(
        JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'drawbridge-slack-emulator' } }),
      );
  }

  /** Closes every connection with a close handshake (terminating after 1 s), then the server. */
  async close(): Promise<void> {
    await Promise.all(
      this.sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => ws.terminate(), 1000);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1001, 'emulator closing');
          }),
      ),
    );
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
