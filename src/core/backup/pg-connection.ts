/**
 * Turns a database URL into what the PostgreSQL client programs take: connection parameters as
 * separate arguments, and the password (plus libpq settings from the query string) as environment
 * variables, so that no secret ever reaches a command line.
 */
import { DrawbridgeError } from '../../base/errors.js';
import { registerUrlSecrets, safeDatabaseUrl } from '../../base/redact.js';
import { libpqTlsEnv, parseTlsSettings } from '../../migrations/tls-settings.js';

/** Connection parameters for pg_dump, pg_restore and psql. */
export interface PgConnection {
  host: string;
  port: number;
  /** Empty when the URL has none (libpq then uses the OS user). */
  user: string;
  database: string;
  /** `--host`, `--port`, `--username` arguments (no password, no database). */
  args: string[];
  /** `PGPASSWORD` and libpq settings taken from the URL. Secret: pass as `CommandSpec.env` only. */
  env: Record<string, string>;
  /** For people: the URL without its password. */
  display: string;
}

/**
 * URL query parameters that libpq also reads from the environment; others (Prisma's) are ignored.
 * TLS is not among them: `sslmode` and its files come from the same parser as node-pg's connections
 * (`ssl=true`, `sslaccept=strict` included), so that backup and migrate agree about one URL.
 */
const QUERY_ENV: Readonly<Record<string, string>> = {
  sslcrl: 'PGSSLCRL',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
};

export function pgConnection(databaseUrl: string): PgConnection {
  let u: URL;
  try {
    u = new URL(databaseUrl);
  } catch (cause) {
    throw new DrawbridgeError('BACKUP_BAD_URL', 'The database URL cannot be parsed', {
      hint: 'Use postgresql://user:password@host:port/database',
      cause,
    });
  }
  // The URL as written and its password (raw and decoded); the decoded one also goes to PGPASSWORD.
  registerUrlSecrets(databaseUrl);
  const display = safeDatabaseUrl(databaseUrl);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DrawbridgeError('BACKUP_BAD_URL', `Not a PostgreSQL URL: ${display}`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) {
    throw new DrawbridgeError('BACKUP_BAD_URL', `The database URL names no database: ${display}`);
  }
  const host = u.searchParams.get('host') ?? u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || '5432');
  const user = decodeURIComponent(u.username);
  const env: Record<string, string> = {};
  if (u.password) {
    env.PGPASSWORD = decodeURIComponent(u.password);
  }
  const tls = parseTlsSettings(u.searchParams);
  if (tls.password) {
    throw new DrawbridgeError(
      'BACKUP_TLS_PASSWORD',
      `pg_dump and pg_restore cannot be given sslpassword without a command line: ${display}`,
      {
        hint: 'Use an sslkey file that is not encrypted, readable only by the user that runs the backup.',
      },
    );
  }
  Object.assign(env, libpqTlsEnv(tls));
  for (const [key, name] of Object.entries(QUERY_ENV)) {
    const value = u.searchParams.get(key);
    if (value !== null) env[name] = value;
  }
  const args = ['--host', host || 'localhost', '--port', String(port)];
  if (user) args.push('--username', user);
  return { host: host || 'localhost', port, user, database, args, env, display };
}

/** The non-secret part of `env` (everything but the password), for commands shown to people. */
export function publicEnv(conn: PgConnection): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(conn.env)) if (k !== 'PGPASSWORD') out[k] = v;
  return out;
}
