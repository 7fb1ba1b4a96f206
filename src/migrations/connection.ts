/**
 * Opening the one PostgreSQL session a migration command uses, from a Prisma-style URL: `schema=`
 * picks the search_path (default `public`); `connect_timeout`, `application_name` and the TLS
 * parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `sslpassword`, with libpq's meaning: see
 * tls-settings.ts) are honoured. Every node-pg connection Drawbridge opens is parsed here. Connection
 * failures become a DrawbridgeError naming host:port, never the password; a certificate error says so.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import pg from 'pg';
import { DrawbridgeError } from '../base/errors.js';
import { redact, registerSecret } from '../base/redact.js';
import { sqlStateOf, SQLSTATE } from '../base/sqlstate.js';
import {
  certificateProblem,
  parseTlsSettings,
  tlsAttempts,
  tlsConnectOptions,
  tlsParameters,
  type TlsSettings,
} from './tls-settings.js';

/** What Drawbridge needs from a database URL. */
export interface ParsedDatabaseUrl {
  /**
   * Configuration for `pg.Client` (holds the password: never print it). It carries no TLS options:
   * connect with `openSession`, which applies `tls` (and falls back as `sslmode` allows).
   */
  clientConfig: pg.ClientConfig;
  /** TLS as libpq would use it for this URL. */
  tls: TlsSettings;
  /**
   * libpq's `hostaddr`: connect to this address while `host` stays the name the server's certificate
   * is checked against (how a tunnel keeps `verify-full` meaningful). Undefined without `hostaddr`.
   */
  tlsServerName?: string;
  /** The schema Prisma would use: the `schema` parameter, else `public`. */
  schema: string;
  /** True when the URL names the schema explicitly (then search_path is set to it alone, like Prisma). */
  schemaExplicit: boolean;
  /** `host:port`, for messages. */
  hostPort: string;
  database: string;
}

/** TCP keepalive idle time on every database connection Drawbridge opens. */
export const KEEPALIVE_IDLE_MS = 10_000;

/** Parses a `postgres://` / `postgresql://` URL. Throws DrawbridgeError P1013 when it is not one. */
export function parseDatabaseUrl(url: string, applicationName = 'drawbridge'): ParsedDatabaseUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DrawbridgeError('P1013', 'The database URL is not a valid URL.');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DrawbridgeError(
      'P1013',
      `The database URL must start with postgresql://, not ${u.protocol}//.`,
    );
  }
  const password = decodeURIComponent(u.password);
  registerSecret(password);
  const host = u.searchParams.get('host') ?? (decodeURIComponent(u.hostname) || 'localhost');
  const port = Number(u.port || '5432');
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const schemaParam = u.searchParams.get('schema');
  const timeoutParam = u.searchParams.get('connect_timeout') ?? '5';
  if (!/^\d+$/.test(timeoutParam)) throw new DrawbridgeError('P1013', 'connect_timeout must be an integer.');
  const tls = parseTlsSettings(u.searchParams);
  const hostaddr = u.searchParams.get('hostaddr');
  const clientConfig: pg.ClientConfig = {
    host: hostaddr ?? host,
    port,
    user: decodeURIComponent(u.username) || undefined,
    password,
    database,
    application_name: u.searchParams.get('application_name') ?? applicationName,
    connectionTimeoutMillis: Number(timeoutParam) * 1000,
    // A silent network partition must not hold a session open for hours: probe idle connections.
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    ssl: false,
  };
  return {
    clientConfig,
    tls,
    schema: schemaParam ?? 'public',
    schemaExplicit: schemaParam !== null,
    hostPort: `${host}:${port}`,
    database,
    ...(hostaddr ? { tlsServerName: host } : {}),
  };
}

function connectErrorCode(err: unknown): string {
  const state = sqlStateOf(err);
  if (state === SQLSTATE.INVALID_PASSWORD || state === SQLSTATE.INVALID_AUTHORIZATION) return 'P1000';
  if (state === SQLSTATE.INVALID_CATALOG_NAME) return 'P1003';
  if (state === '42501') return 'P1010';
  return 'P1001';
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an identifier for SQL text. */
export { quoteIdent };

const usesTls = new WeakMap<pg.Client, boolean>();

/** Whether a session from `openSession` uses TLS (undefined for any other client). */
export function sessionUsesTls(client: pg.Client): boolean | undefined {
  return usesTls.get(client);
}

/** node-pg's error when the server answers "N" to SSLRequest; it carries no code to test instead. */
const NO_SSL_MESSAGE = 'The server does not support SSL connections';

/** The message of an error from any realm (Node's TLS errors may not be this realm's Error). */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** Whether the next attempt (the other way round) may follow this failure, as libpq decides. */
function mayFallBack(err: unknown, withTls: boolean): boolean {
  // allow: the server refused a plain session (pg_hba.conf `hostssl`); prefer: TLS itself failed, or
  // the server refused the TLS session (pg_hba.conf `hostnossl`). Wrong passwords and unreachable
  // servers never retry.
  const state = sqlStateOf(err);
  if (state === SQLSTATE.INVALID_AUTHORIZATION) return true;
  if (!withTls) return false;
  const code = (err as { code?: unknown } | null)?.code;
  const tlsCode = typeof code === 'string' && (code === 'EPROTO' || code.startsWith('ERR_SSL'));
  return messageOf(err) === NO_SSL_MESSAGE || tlsCode || certificateProblem(err) !== undefined;
}

function connectFailure(
  parsed: ParsedDatabaseUrl,
  err: unknown,
  withTls: boolean,
  earlier: string,
): DrawbridgeError {
  const where = `${parsed.hostPort} (database "${parsed.database}")`;
  const certificate = withTls ? certificateProblem(err) : undefined;
  if (certificate) {
    return new DrawbridgeError(
      'P1011',
      `TLS certificate verification failed for ${parsed.hostPort}: ${redact(certificate)} (${tlsParameters(parsed.tls)})`,
      {
        hint:
          'sslrootcert must hold the CA that signed the server certificate' +
          (parsed.tls.verify === 'full' ? ', and the certificate must name the host of the URL.' : '.'),
        cause: err,
      },
    );
  }
  const reason = redact(messageOf(err)) + earlier;
  const noTls = withTls && messageOf(err) === NO_SSL_MESSAGE;
  const code = noTls ? 'P1011' : connectErrorCode(err);
  const plainRefused = !withTls && sqlStateOf(err) === SQLSTATE.INVALID_AUTHORIZATION;
  return new DrawbridgeError(code, `Cannot connect to PostgreSQL at ${where}: ${reason}`, {
    hint: plainRefused
      ? `The connection was made without TLS (sslmode=${parsed.tls.mode}); if the server accepts only TLS, set sslmode=require or stronger in the URL.`
      : 'Check that the server is reachable from here and that the URL user, password and database are right.',
    cause: err,
  });
}

/**
 * Endpoints (`host:port` connected to) that answered an SSLRequest with "N" (no TLS at all) under
 * `sslmode=prefer`, and when (performance.now()). libpq goes on without TLS on that same connection;
 * node-pg cannot, so the fallback is a second connection, and every further session would pay the
 * refused attempt again: a round trip and, on PostgreSQL's side, a backend started for nothing (a
 * deploy opens three sessions). For a minute after such an answer, a `prefer` session to the same
 * endpoint starts without TLS, as it would end up anyway; if the server refuses that (it now wants
 * TLS: pg_hba.conf `hostssl`), it tries TLS next, as `allow` does. `prefer` promises no TLS against
 * an endpoint that declines it, so this changes no guarantee.
 */
const refusedTls = new Map<string, number>();
export const TLS_REFUSAL_MEMORY_MS = 60_000;

function endpointOf(parsed: ParsedDatabaseUrl): string {
  return `${parsed.clientConfig.host ?? ''}:${parsed.clientConfig.port ?? ''}`;
}

/** The order of attempts (true: with TLS) for a session to this URL, now. */
function attemptsFor(parsed: ParsedDatabaseUrl): boolean[] {
  // libpq never uses TLS over a Unix-domain socket.
  if (parsed.clientConfig.host?.startsWith('/')) return [false];
  if (parsed.tls.mode === 'prefer') {
    const at = refusedTls.get(endpointOf(parsed));
    if (at !== undefined && performance.now() - at < TLS_REFUSAL_MEMORY_MS) return [false, true];
    refusedTls.delete(endpointOf(parsed));
  }
  return tlsAttempts(parsed.tls);
}

/**
 * Connects and, when the URL names a schema, sets `search_path` to exactly that schema (as Prisma's
 * startup parameter does). TLS follows `parsed.tls`: node-pg cannot fall back by itself, so for
 * `prefer` (TLS first) and `allow` (plain first) a failed attempt is retried the other way, as
 * libpq does (and see `refusedTls` above). Failures throw DrawbridgeError with Prisma's P1xxx code
 * and host:port; a certificate that does not verify is P1011 and says so.
 */
export async function openSession(
  parsed: ParsedDatabaseUrl,
  create: (config: pg.ClientConfig) => pg.Client = (config) => new pg.Client(config),
  options: { searchPath?: boolean } = {},
): Promise<pg.Client> {
  const attempts = attemptsFor(parsed);
  let earlier = '';
  for (const [i, withTls] of attempts.entries()) {
    const ssl = withTls ? withServerName(tlsConnectOptions(parsed.tls), parsed) : false;
    const client = create({ ...parsed.clientConfig, ssl });
    // An idle-session error (server restart, network cut) must not crash the process; the next query fails.
    client.on('error', () => undefined);
    try {
      await client.connect();
      // A reading session may skip this (searchPath: false) and qualify its names instead, so that
      // nothing is left on a pooled server connection.
      if (parsed.schemaExplicit && options.searchPath !== false)
        await client.query(`SET search_path = ${quoteIdent(parsed.schema)}`);
      usesTls.set(client, withTls);
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (parsed.tls.mode === 'prefer') {
        if (withTls && messageOf(err) === NO_SSL_MESSAGE)
          refusedTls.set(endpointOf(parsed), performance.now());
        else if (!withTls) refusedTls.delete(endpointOf(parsed));
      }
      if (i + 1 < attempts.length && mayFallBack(err, withTls)) {
        const why = certificateProblem(err) ?? messageOf(err);
        earlier = ` (first tried ${withTls ? 'with' : 'without'} TLS: ${redact(why)})`;
        continue;
      }
      throw connectFailure(parsed, err, withTls, earlier);
    }
  }
  throw new DrawbridgeError('P1001', `Cannot connect to PostgreSQL at ${parsed.hostPort}.`);
}

/**
 * With `hostaddr` (a tunnel), the certificate is checked against `host`, not the address connected
 * to: SNI names it (when it is a name), and `verify-full` checks the name or address in `host`.
 */
function withServerName(opts: ConnectionOptions, parsed: ParsedDatabaseUrl): ConnectionOptions {
  const name = parsed.tlsServerName;
  if (!name) return opts;
  return {
    ...opts,
    ...(isIP(name) === 0 ? { servername: name } : {}),
    ...(parsed.tls.verify === 'full'
      ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert) }
      : {}),
  };
}

/** Closes a session, ignoring errors (a failed close never hides the real outcome). */
export async function closeSession(client: pg.Client): Promise<void> {
  await client.end().catch(() => undefined);
}
