/**
 * Opening the one PostgreSQL session a migration command uses, from a Prisma-style URL: `schema=`
 * picks the search_path (default `public`), `sslmode`, `connect_timeout` and `application_name` are
 * honoured. Connection failures become a DrawbridgeError naming host:port, never the password.
 */
import pg from 'pg';
import { DrawbridgeError } from '../base/errors.js';
import { redact, registerSecret } from '../base/redact.js';
import { sqlStateOf, SQLSTATE } from '../base/sqlstate.js';

/** What Drawbridge needs from a database URL. */
export interface ParsedDatabaseUrl {
  /** Configuration for `pg.Client` (holds the password: never print it). */
  clientConfig: pg.ClientConfig;
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
  const sslmode = u.searchParams.get('sslmode') ?? 'prefer';
  const strict = u.searchParams.get('sslaccept') === 'strict';
  const clientConfig: pg.ClientConfig = {
    host,
    port,
    user: decodeURIComponent(u.username) || undefined,
    password,
    database,
    application_name: u.searchParams.get('application_name') ?? applicationName,
    connectionTimeoutMillis: Number(timeoutParam) * 1000,
    // A silent network partition must not hold a session open for hours: probe idle connections.
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    ssl: sslmode === 'require' ? { rejectUnauthorized: strict } : false,
  };
  return {
    clientConfig,
    schema: schemaParam ?? 'public',
    schemaExplicit: schemaParam !== null,
    hostPort: `${host}:${port}`,
    database,
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

/**
 * Connects and, when the URL names a schema, sets `search_path` to exactly that schema (as Prisma's
 * startup parameter does). Failures throw DrawbridgeError with Prisma's P1xxx code and host:port.
 */
export async function openSession(
  parsed: ParsedDatabaseUrl,
  create: (config: pg.ClientConfig) => pg.Client = (config) => new pg.Client(config),
): Promise<pg.Client> {
  const client = create(parsed.clientConfig);
  // An idle-session error (server restart, network cut) must not crash the process; the next query fails.
  client.on('error', () => undefined);
  try {
    await client.connect();
    if (parsed.schemaExplicit) await client.query(`SET search_path = ${quoteIdent(parsed.schema)}`);
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    const code = connectErrorCode(err);
    const reason = redact(err instanceof Error ? err.message : String(err));
    throw new DrawbridgeError(
      code,
      `Cannot connect to PostgreSQL at ${parsed.hostPort} (database "${parsed.database}"): ${reason}`,
      {
        hint: 'Check that the server is reachable from here and that the URL user, password and database are right.',
        cause: err,
      },
    );
  }
}

/** Closes a session, ignoring errors (a failed close never hides the real outcome). */
export async function closeSession(client: pg.Client): Promise<void> {
  await client.end().catch(() => undefined);
}
