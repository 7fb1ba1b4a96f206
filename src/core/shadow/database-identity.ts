/**
 * Which server and which database a URL really leads to, so that a shadow database can be told apart
 * from the target it shadows whatever URLs (a tunnel, a pooler, another host name) lead to them.
 *
 * A server is named by its `system_identifier` (pg_control_system(), unique per cluster since initdb);
 * when the connecting role may not read it, by the postmaster's start time. A database is its
 * `current_database()` on that server.
 */
import type pg from 'pg';
import { sqlStateOf, SQLSTATE } from '../../base/sqlstate.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';

/** What a session says about where it is connected. */
export interface DatabaseIdentity {
  /** pg_control_system().system_identifier as text; null when the role may not read it. */
  readonly systemIdentifier: string | null;
  /** pg_postmaster_start_time() as text: the fallback name of the server. */
  readonly serverStartedAt: string;
  /** current_database(). */
  readonly database: string;
}

/** Reads the identity of the database `client` is connected to. Read-only. */
export async function readIdentity(client: pg.Client): Promise<DatabaseIdentity> {
  let systemIdentifier: string | null = null;
  try {
    const r = await client.query<{ id: string }>(
      'SELECT system_identifier::text AS id FROM pg_control_system()',
    );
    systemIdentifier = r.rows[0]?.id ?? null;
  } catch (err) {
    if (sqlStateOf(err) !== SQLSTATE.INSUFFICIENT_PRIVILEGE) throw err;
  }
  const r = await client.query<{ db: string; started: string }>(
    'SELECT current_database() AS db, pg_postmaster_start_time()::text AS started',
  );
  const row = r.rows[0];
  return { systemIdentifier, serverStartedAt: row?.started ?? '', database: row?.db ?? '' };
}

/** Opens a short read-only session on `url` and reads its identity. Connection faults throw (P1xxx). */
export async function readIdentityOf(url: string, applicationName: string): Promise<DatabaseIdentity> {
  const client = await openSession(parseDatabaseUrl(url, applicationName), undefined, { searchPath: false });
  try {
    return await readIdentity(client);
  } finally {
    await closeSession(client);
  }
}

/** Whether two identities are the same database on the same server. Pure. */
export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  if (a.database !== b.database) return false;
  if (a.systemIdentifier !== null && b.systemIdentifier !== null)
    return a.systemIdentifier === b.systemIdentifier;
  return a.serverStartedAt === b.serverStartedAt;
}

/** How a server is named for people: its system identifier, or its start time when that is unreadable. */
export function serverName(identity: DatabaseIdentity): string {
  return identity.systemIdentifier ?? `server started ${identity.serverStartedAt}`;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * `host:port/database` of a URL as written, with the loopback names made one, for a check that needs
 * no connection. Undefined when the URL cannot be parsed. Pure (apart from registering the password).
 */
export function urlAddress(url: string): string | undefined {
  try {
    const parsed = parseDatabaseUrl(url);
    const host = String(parsed.clientConfig.host ?? '').toLowerCase();
    const name = LOOPBACK.has(host) ? 'loopback' : host;
    return `${name}:${String(parsed.clientConfig.port ?? 5432)}/${parsed.database}`;
  } catch {
    return undefined;
  }
}
