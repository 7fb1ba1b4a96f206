/**
 * The migration session with a watchdog. A second connection (SessionWatch) probes the migration
 * session's backend while a query is outstanding: it reports the sessions blocking it, and it
 * notices a path that has gone silent — the probe itself not answering, or the backend sitting idle
 * while Drawbridge still waits for an answer (the answer was lost). Then the session is declared
 * lost and its socket destroyed, so no query hangs past the watchdog. Cancel goes over a connection
 * of its own with a timeout of its own, never over the (possibly broken) migration session.
 */
import pg from 'pg';
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import { sqlStateOf } from '../base/sqlstate.js';
import { closeSession, openSession, type ParsedDatabaseUrl } from './connection.js';
import { SessionWatch, type Blocker } from './session-watch.js';

/** Watchdog settings, in milliseconds. */
export interface WatchdogOptions {
  /** How long the database may stay silent (no probe answer, or the backend idle while a query waits). */
  silenceMs: number;
  /** How often the probe runs while a query is outstanding (default 100). */
  pollMs?: number;
  /** How long a cancel may take, connecting included, before the session is declared lost. */
  cancelTimeoutMs: number;
}

/** Defaults used when the caller sets none. */
export const DEFAULT_WATCHDOG: WatchdogOptions = { silenceMs: 15_000, pollMs: 100, cancelTimeoutMs: 5_000 };

/** Thrown into the migration session's outstanding query when the watchdog gives up on it. */
export class ConnectionLostError extends DrawbridgeError {
  constructor(reason: string) {
    super('CONNECTION_LOST', `The connection to the database was lost: ${reason}`);
    this.name = 'ConnectionLostError';
  }
}

/** A pg.Client that knows since when it has been waiting for an answer. */
class WatchedClient extends pg.Client {
  outstanding = 0;
  waitingSince: number | null = null;
  clockNow: () => number = () => 0;

  // Overrides every overload of pg.Client#query; only the promise forms are used by Drawbridge.
  override query(...args: unknown[]): never {
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      this.outstanding += 1;
      if (this.waitingSince === null) this.waitingSince = this.clockNow();
      const settle = (): void => {
        this.outstanding -= 1;
        if (this.outstanding === 0) this.waitingSince = null;
      };
      (result as Promise<unknown>).then(settle, settle);
    }
    return result as never;
  }
}

/** SQLSTATE classes that mean the session itself is gone (connection exception, operator intervention). */
function sessionGoneState(state: string | undefined): boolean {
  return state !== undefined && (state.startsWith('08') || ['57P01', '57P02', '57P03'].includes(state));
}

export class GuardedSession {
  private loopStop = new AbortController();
  private loop: Promise<void> | undefined;
  private ended = false;
  /** Why the watchdog declared the session lost, once it has. */
  lostReason: string | undefined;
  /** Sessions seen blocking the migration session during the current query. */
  blockers: Blocker[] = [];

  private constructor(
    readonly client: pg.Client,
    private readonly watched: WatchedClient,
    readonly parsed: ParsedDatabaseUrl,
    readonly pid: number,
    private readonly watch: SessionWatch,
    private readonly clock: Clock,
    private readonly opts: WatchdogOptions,
    private readonly onAlive: () => void,
  ) {
    watched.on('end', () => {
      this.ended = true;
    });
  }

  /** Opens the migration session and its watch connection; starts the watchdog. */
  static async open(
    parsed: ParsedDatabaseUrl,
    clock: Clock,
    opts: WatchdogOptions,
    onAlive: () => void = () => undefined,
  ): Promise<GuardedSession> {
    const client = (await openSession(parsed, (config) => new WatchedClient(config))) as WatchedClient;
    client.clockNow = () => clock.now();
    try {
      const plain: pg.Client = client;
      const pid = (await plain.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
      const watch = await SessionWatch.open(parsed, pid);
      const session = new GuardedSession(client, client, parsed, pid, watch, clock, opts, onAlive);
      session.loop = session.watchdog();
      return session;
    } catch (err) {
      await closeSession(client);
      throw err;
    }
  }

  /** True when `err` means the session is gone (declared lost, closed, or a connection-class SQLSTATE). */
  isLost(err: unknown): boolean {
    if (this.lostReason !== undefined || err instanceof ConnectionLostError) return true;
    const state = sqlStateOf(err);
    if (sessionGoneState(state)) return true;
    return state === undefined && this.ended;
  }

  /** Gives up on the migration session: its socket is destroyed and outstanding queries fail at once. */
  declareLost(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    const stream = (this.watched as unknown as { connection?: { stream?: { destroy(e?: Error): void } } })
      .connection?.stream;
    stream?.destroy(new ConnectionLostError(reason));
    this.watch.abandon();
  }

  /**
   * Cancels the running statement from a fresh connection (`pg_cancel_backend`). If that cannot be
   * done, or the statement does not end, within `cancelTimeoutMs`, the session is declared lost.
   */
  async cancel(): Promise<void> {
    const deadline = this.clock.now() + this.opts.cancelTimeoutMs;
    const sent = await withTimeout(this.clock, this.opts.cancelTimeoutMs, async () => {
      const config = {
        ...this.parsed.clientConfig,
        application_name: 'drawbridge cancel',
        connectionTimeoutMillis: this.opts.cancelTimeoutMs,
      };
      const c = await openSession({ ...this.parsed, clientConfig: config });
      try {
        await c.query('SELECT pg_cancel_backend($1)', [this.pid]);
      } finally {
        await closeSession(c);
      }
    }).catch(() => false as const);
    if (sent === false) {
      this.declareLost(`the cancel could not reach the database within ${this.opts.cancelTimeoutMs} ms`);
      return;
    }
    while (this.watched.outstanding > 0 && this.clock.now() < deadline) {
      await this.clock.sleep(50);
    }
    if (this.watched.outstanding > 0) {
      this.declareLost(
        `the running statement did not stop within ${this.opts.cancelTimeoutMs} ms of the cancel`,
      );
    }
  }

  /** Indexes left INVALID, read on the watch connection. */
  invalidIndexes(): Promise<{ schema: string; name: string; table: string }[]> {
    return this.watch.invalidIndexes();
  }

  /** Stops the watchdog and closes both connections. */
  async close(): Promise<void> {
    this.loopStop.abort();
    await this.loop;
    await this.watch.close();
    await closeSession(this.client);
  }

  /** Probes while a query is outstanding; declares the session lost when the database goes silent. */
  private async watchdog(): Promise<void> {
    const poll = this.opts.pollMs ?? 100;
    let idleSince: number | null = null;
    let lastAlive = 0;
    while (!this.loopStop.signal.aborted && this.lostReason === undefined) {
      await this.clock.sleep(poll, this.loopStop.signal).catch(() => undefined);
      if (this.loopStop.signal.aborted || this.watched.outstanding === 0) {
        idleSince = null;
        continue;
      }
      const probe = await withTimeout(this.clock, this.opts.silenceMs, () => this.watch.probe()).catch(
        () => undefined,
      );
      if (this.loopStop.signal.aborted || this.watched.outstanding === 0) continue;
      if (probe === false) {
        this.declareLost(`the database did not answer for ${this.opts.silenceMs} ms`);
        return;
      }
      if (probe === undefined) continue; // the watch connection failed; the next probe decides
      if (probe.blockers.length > 0) this.blockers = probe.blockers;
      const now = this.clock.now();
      if (now - lastAlive >= 1000) {
        lastAlive = now;
        this.onAlive();
      }
      // The backend is not working on anything although an answer is awaited: it was lost on the way.
      const waitingFor = now - (this.watched.waitingSince ?? now);
      if (probe.state === 'active' || waitingFor < poll * 2) idleSince = null;
      else idleSince ??= now;
      if (idleSince !== null && now - idleSince >= this.opts.silenceMs) {
        this.declareLost(
          `the database finished (session ${probe.state ?? 'gone'}) but no answer arrived for ${this.opts.silenceMs} ms`,
        );
        return;
      }
    }
  }
}

/** Resolves to `fn`'s result, or to `false` once `ms` of `clock` time have passed first. */
export async function withTimeout<T>(clock: Clock, ms: number, fn: () => Promise<T>): Promise<T | false> {
  const stop = new AbortController();
  const timer = clock.sleep(ms, stop.signal).then(
    () => false as const,
    () => false as const,
  );
  try {
    return await Promise.race([fn(), timer]);
  } finally {
    stop.abort();
  }
}
