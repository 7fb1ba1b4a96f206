/**
 * Telling a connection pooler (pgBouncer) from PostgreSQL itself, before anything migrates, locks,
 * dumps or restores through it. In transaction pooling a session's `SET`s, its advisory locks and
 * pg_dump's `search_path = ''` stay on a pooled server connection that then serves the application.
 *
 * Two signals, either one is enough:
 * - the URL carries Prisma's marker `pgbouncer=true`;
 * - the cancel key: PostgreSQL's BackendKeyData carries the process id of the backend, the very value
 *   `pg_backend_pid()` returns on that session. PgBouncer hands every client a random cancel key of
 *   its own (it must, to route cancel requests to whichever server connection is in use), so the two
 *   differ. Checked against a real PgBouncer 1.18 in transaction, session and statement modes: it
 *   forwards the server's ParameterStatus messages and `application_name` unchanged and answers
 *   `SHOW`s only on its admin console, so those tell nothing; the cancel key always differs. A plain
 *   TCP forward (an SSH tunnel) passes the key through unchanged. Other poolers (pgcat, Supavisor,
 *   RDS Proxy, Pgpool-II) also issue their own keys, and are refused the same way.
 * The probe is one autocommit `SELECT pg_backend_pid()` on a session that sets nothing.
 */
import type pg from 'pg';
import { refusal, type Refusal } from '../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from './connection.js';

/** Why a URL was found to lead to a pooler. */
export type PoolerSignal = 'url-marker' | 'cancel-key';

/** True when the URL carries Prisma's `pgbouncer=true` marker. Pure. */
export function urlMarksPgBouncer(url: string): boolean {
  try {
    return new URL(url).searchParams.get('pgbouncer')?.toLowerCase() === 'true';
  } catch {
    return false;
  }
}

/**
 * True when the cancel key the endpoint sent is not the backend's process id: the session is not
 * PostgreSQL's own but a pooler's. Pure. A missing key (an endpoint that sent none) counts as a pooler.
 */
export function cancelKeyRevealsPooler(keyProcessId: number | undefined, backendPid: number): boolean {
  return keyProcessId !== backendPid;
}

async function cancelKeyOf(client: pg.Client): Promise<{ key: number | undefined; pid: number }> {
  const key = (client as unknown as { processID?: number | null }).processID ?? undefined;
  const res = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { key, pid: Number(res.rows[0]?.pid) };
}

/**
 * Finds out whether `url` leads to a pooler: the URL marker first (no connection), else one short
 * session that compares the cancel key with `pg_backend_pid()`. Connection failures throw as
 * `openSession` does (P1001, P1000 …).
 */
export async function detectPooler(url: string): Promise<PoolerSignal | undefined> {
  if (urlMarksPgBouncer(url)) return 'url-marker';
  // No `SET search_path` on this session, even when the URL names a schema: it would stay behind.
  const parsed = { ...parseDatabaseUrl(url, 'drawbridge pooler check'), schemaExplicit: false };
  const client = await openSession(parsed);
  try {
    const { key, pid } = await cancelKeyOf(client);
    return cancelKeyRevealsPooler(key, pid) ? 'cancel-key' : undefined;
  } finally {
    await closeSession(client);
  }
}

/** Who is asking, for the refusal's wording. */
export interface PoolerContext {
  /** The environment's name. */
  environment: string;
  /** `host:port` of the endpoint, for people. */
  hostPort: string;
  /** True when the URL found to be a pooler is the configured direct URL itself. */
  directUrlConfigured: boolean;
}

/** The refusal for a migrating, locking, dumping or restoring path that would go through a pooler. Pure. */
export function poolerRefusal(signal: PoolerSignal, ctx: PoolerContext): Refusal {
  const why =
    signal === 'url-marker'
      ? 'its URL is marked pgbouncer=true'
      : 'it answers as a connection pooler (pgBouncer), not as PostgreSQL itself: its cancel key is not the server process id';
  const which = ctx.directUrlConfigured ? 'direct URL' : 'database URL';
  const prefix = `environments.${ctx.environment}.database`;
  return refusal(
    'POOLED_CONNECTION',
    `Refusing to migrate, lock, back up or restore \`${ctx.environment}\` through pgBouncer: the ${which} (${ctx.hostPort}) leads to a pooler (${why}). Session settings, advisory locks and pg_dump's search_path would stay on pooled connections that serve the application. ${ctx.directUrlConfigured ? `Point ${prefix}.directUrlEnv at PostgreSQL itself.` : `Give it the direct URL with ${prefix}.directUrlEnv.`}`,
    ctx.directUrlConfigured
      ? `Point ${prefix}.directUrlEnv (or directUrlFile) at PostgreSQL itself, not at pgBouncer.`
      : `Set ${prefix}.directUrlEnv (or directUrlFile) to a direct URL that bypasses pgBouncer (Prisma's directUrl).`,
  );
}
