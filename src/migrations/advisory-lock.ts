/**
 * Prisma's migration advisory lock: session-level `pg_advisory_lock(72707369)` in the current
 * database. Drawbridge takes the same key so that it and `prisma migrate` exclude each other.
 */
import type pg from 'pg';
import type { Clock } from '../base/clock.js';

/** The key Prisma's schema engine locks. */
export const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** The session holding the migration lock, as pg_stat_activity describes it. */
export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  /** Age of the holding session in ms (Prisma takes the lock right after connecting). */
  durationMs: number;
  /** pg_stat_activity.state, e.g. `active`, `idle`, `idle in transaction`. */
  state: string;
  /** Its current (or last) statement. */
  query: string;
}

interface HolderRow {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  duration_ms: string;
  state: string | null;
  query: string | null;
}

/** Who holds lock 72707369 in this database, other than this session; undefined when nobody does. */
export async function findLockHolder(client: pg.Client): Promise<LockHolder | undefined> {
  const res = await client.query<HolderRow>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr,
            floor(extract(epoch FROM (clock_timestamp() - a.backend_start)) * 1000)::bigint::text AS duration_ms,
            a.state, a.query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid
        AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
      LIMIT 1`,
    [PRISMA_ADVISORY_LOCK_KEY],
  );
  const r = res.rows[0];
  if (!r) return undefined;
  return {
    pid: r.pid,
    applicationName: r.application_name ?? '',
    clientAddr: r.client_addr,
    durationMs: Number(r.duration_ms),
    state: r.state ?? 'unknown',
    query: r.query ?? '',
  };
}

/** Tries the lock once without waiting. */
export async function tryAdvisoryLock(client: pg.Client): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
    PRISMA_ADVISORY_LOCK_KEY,
  ]);
  return res.rows[0]?.ok === true;
}

/** Releases the lock held by this session (closing the session also releases it). */
export async function releaseAdvisoryLock(client: pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
}

/** How to wait for the lock. */
export interface LockWaitOptions {
  /** Give up after this long (Prisma: fixed 10 000 ms). */
  waitMs: number;
  /** Poll interval (default 250 ms). */
  pollMs?: number;
  clock: Clock;
  signal?: AbortSignal;
  /** Called on the first failed try and then about every 5 s, with the holder when visible. */
  onWaiting?: (info: { waitedMs: number; holder?: LockHolder }) => void;
}

/**
 * Takes lock 72707369 on this session, waiting up to `waitMs`. Returns the holder seen last when it
 * gave up (the caller turns that into Prisma's P1002-style refusal), or `{ acquired: true }`.
 */
export async function acquireMigrationLock(
  client: pg.Client,
  opts: LockWaitOptions,
): Promise<
  { acquired: true; waitedMs: number } | { acquired: false; waitedMs: number; holder?: LockHolder }
> {
  const start = opts.clock.now();
  const poll = opts.pollMs ?? 250;
  let lastReport = -Infinity;
  let holder: LockHolder | undefined;
  for (;;) {
    if (await tryAdvisoryLock(client)) return { acquired: true, waitedMs: opts.clock.now() - start };
    const waitedMs = opts.clock.now() - start;
    holder = (await findLockHolder(client)) ?? holder;
    if (waitedMs >= opts.waitMs)
      return holder ? { acquired: false, waitedMs, holder } : { acquired: false, waitedMs };
    if (waitedMs - lastReport >= 5000) {
      lastReport = waitedMs;
      opts.onWaiting?.(holder ? { waitedMs, holder } : { waitedMs });
    }
    await opts.clock.sleep(Math.min(poll, Math.max(1, opts.waitMs - waitedMs)), opts.signal);
  }
}
