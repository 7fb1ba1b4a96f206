/**
 * Composition of the emulator: one node:http server on 127.0.0.1 serving the Web API (`/api/`),
 * response URLs (`/hooks/`), file uploads (`/upload/v1/`) and Socket Mode (`/link/`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../src/base/clock.js';
import type { EmulatorContext, ResolvedOptions } from './context.js';
import { postSignedForm, postSignedJson, postTo } from './http-delivery.js';
import { IdFactory } from './ids.js';
import * as interactions from './interactions.js';
import { handleUpload } from './methods-files.js';
import { handleResponseUrl } from './response-url.js';
import { SocketModeServer } from './socket-mode.js';
import { Store } from './store.js';
import type { Delivery, EmulatorOptions, Fault, FaultSchedule, SlackEmulator } from './types.js';
import { handleApi } from './web-api.js';

function resolveOptions(o: EmulatorOptions): ResolvedOptions {
  return {
    signingSecret: o.signingSecret,
    botToken: o.botToken,
    appToken: o.appToken,
    teamId: o.teamId ?? 'T0ACME001',
    teamDomain: o.teamDomain ?? 'acme',
    botUserId: o.botUserId ?? 'U0MIGBOT1',
    botId: o.botId ?? 'B0MIGBOT1',
    appId: o.appId ?? 'A0MIGBOT1',
    users: o.users ?? [
      { id: 'U0ALICE01', name: 'alice', real_name: 'Alice Chen' },
      { id: 'U0BOB0001', name: 'bob', real_name: 'Bob Okafor' },
    ],
    usergroups: o.usergroups ?? {},
    channels: o.channels ?? [{ id: 'C0MIGRATE1', name: 'platform-migrations' }],
    scopes: o.scopes,
    ackTimeoutMs: o.ackTimeoutMs ?? 3000,
    clock: o.clock ?? systemClock,
  };
}

async function route(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
  if (api?.[1]) return handleApi(ctx, req, res, api[1]);
  const hook = /^\/hooks\/(?:commands|actions)\/[^/]+\/[^/]+\/([^/]+)$/.exec(path);
  if (hook?.[1]) return handleResponseUrl(ctx, req, res, hook[1]);
  const upload = /^\/upload\/v1\/([^/]+)$/.exec(path);
  if (upload?.[1]) return handleUpload(ctx, req, res, upload[1]);
  req.resume();
  res.writeHead(404).end();
}

/** Starts the emulator on a free loopback port. */
export async function startSlackEmulator(options: EmulatorOptions): Promise<SlackEmulator> {
  const opts = resolveOptions(options);
  const store = new Store(opts.clock, opts.channels, opts.users);
  const ctx: EmulatorContext = {
    opts,
    store,
    ids: new IdFactory(opts.clock),
    baseUrl: '',
    issueTicket: () => socket.issueTicket(),
    delayedAnswers: new Set(),
  };
  const socket = new SocketModeServer(ctx);
  const server = createServer((req, res) => {
    route(ctx, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  server.on('upgrade', (req, sock, head) => socket.handleUpgrade(req, sock, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  ctx.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return new Emulator(ctx, socket, server);
}

class Emulator implements SlackEmulator {
  private requestUrl: string | undefined;
  private forcedMode: 'http' | 'socket' | undefined;
  private readonly transport: interactions.Transport = { deliver: (k, p, a) => this.deliver(k, p, a) };

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly socket: SocketModeServer,
    private readonly server: ReturnType<typeof createServer>,
  ) {}

  get apiUrl(): string {
    return `${this.ctx.baseUrl}/api/`;
  }
  get baseUrl(): string {
    return this.ctx.baseUrl;
  }
  get mode(): 'http' | 'socket' {
    if (this.forcedMode !== undefined) return this.forcedMode;
    return this.requestUrl === undefined && this.socket.connections > 0 ? 'socket' : 'http';
  }
  get socketConnections(): number {
    return this.socket.connections;
  }
  get calls() {
    return this.ctx.store.calls;
  }
  get views() {
    return this.ctx.store.views;
  }
  get files() {
    return this.ctx.store.files;
  }

  setRequestUrl(url: string): void {
    this.requestUrl = url;
  }
  setMode(mode: 'http' | 'socket'): void {
    this.forcedMode = mode;
  }

  async waitForSocket(count = 1, timeoutMs = 5000): Promise<void> {
    await this.ctx.store.waitFor(() => this.socket.connections >= count, {
      timeoutMs,
      what: `${count} Socket Mode connection(s)`,
    });
  }
  disconnectSockets(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    this.socket.disconnect(reason);
  }

  private deliver(
    kind: 'command' | 'interactive' | 'event',
    payload: Record<string, unknown>,
    accepts: boolean,
  ): Promise<Delivery> {
    const timeout = this.ctx.opts.ackTimeoutMs;
    if (this.mode === 'socket') {
      const type = kind === 'command' ? 'slash_commands' : kind === 'event' ? 'events_api' : 'interactive';
      return this.socket.deliver(type, payload, accepts);
    }
    const url = this.requireUrl();
    const secret = this.ctx.opts.signingSecret;
    if (kind === 'event') return postSignedJson(url, secret, payload, timeout);
    const fields =
      kind === 'command' ? (payload as Record<string, string>) : { payload: JSON.stringify(payload) };
    return postSignedForm(url, secret, fields, timeout);
  }

  private requireUrl(): string {
    if (this.requestUrl === undefined)
      throw new Error('Slack emulator: HTTP mode needs setRequestUrl(<app>/slack/events)');
    return this.requestUrl;
  }

  slashCommand(a: { user: string; channel: string; text: string; command?: string }): Promise<Delivery> {
    return interactions.slashCommand(this.ctx, this.transport, a);
  }
  clickButton(a: {
    user: string;
    channel: string;
    messageTs: string;
    actionId: string;
    value?: string;
    blockId?: string;
  }): Promise<Delivery> {
    return interactions.clickButton(this.ctx, this.transport, a);
  }
  submitView(a: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, unknown>>;
  }): Promise<Delivery> {
    return interactions.submitView(this.ctx, this.transport, a);
  }
  clickViewButton(a: {
    user: string;
    viewId: string;
    actionId: string;
    value?: string;
    blockId?: string;
  }): Promise<Delivery> {
    return interactions.clickViewButton(this.ctx, this.transport, a);
  }
  sendEvent(event: Record<string, unknown>): Promise<Delivery> {
    return interactions.sendEvent(this.ctx, this.transport, event);
  }
  async postRaw(body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const d = await postTo(this.requireUrl(), body, headers, this.ctx.opts.ackTimeoutMs + 2000);
    return { status: d.status, body: d.body };
  }

  sendRawSocketMessage(text: string): void {
    this.socket.sendRaw(text);
  }

  transcript(channel: string) {
    return this.ctx.store.transcript(channel);
  }
  ephemerals(filter?: { user?: string; channel?: string }) {
    return this.ctx.store.ephemerals(filter);
  }
  waitFor<T>(
    fn: () => T | undefined | false | null,
    opts?: { timeoutMs?: number; what?: string },
  ): Promise<T> {
    return this.ctx.store.waitFor(fn, opts);
  }
  injectFault(method: string, fault: Fault, schedule: FaultSchedule = 1): void {
    this.ctx.store.addFault(method, fault, schedule);
  }
  clearFaults(method?: string): void {
    this.ctx.store.clearFaults(method);
  }

  async close(): Promise<void> {
    for (const timer of this.ctx.delayedAnswers) clearTimeout(timer);
    this.ctx.delayedAnswers.clear();
    await this.socket.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
