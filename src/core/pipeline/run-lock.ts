/**
 * The PostgreSQL half of "one run per environment": a session-level advisory lock on the target,
 * held for the whole run on a session of its own. It also protects against a second bot instance
 * with another state database; if the bot dies, the session ends and the lock goes with it.
 */
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { StepStopped } from './run-context.js';

/** `hashtext('drawbridge run')`-style constant, distinct from Prisma's 72707369. */
export const DRAWBRIDGE_RUN_LOCK_KEY = 1148346743;

export interface RunLock {
  release(): Promise<void>;
}

/** Takes the lock without waiting; refuses (StepStopped, refused) when another session holds it. */
export async function takeRunLock(databaseUrl: string): Promise<RunLock> {
  const client = await openSession(parseDatabaseUrl(databaseUrl, 'drawbridge run lock'));
  const got = await client
    .query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [DRAWBRIDGE_RUN_LOCK_KEY])
    .then((r) => r.rows[0]?.ok === true)
    .catch(async (err: unknown) => {
      await closeSession(client);
      throw err;
    });
  if (!got) {
    const holder = await client
      .query<{ pid: number; app: string }>(
        `select a.pid, coalesce(a.application_name, '') as app from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and l.objid = $1 and l.granted and a.pid <> pg_backend_pid() limit 1`,
        [DRAWBRIDGE_RUN_LOCK_KEY],
      )
      .then((r) => r.rows[0])
      .catch(() => undefined);
    await closeSession(client);
    throw new StepStopped(
      'ENVIRONMENT_BUSY',
      `Another Drawbridge run holds the run lock on this database${holder ? ` (pid ${holder.pid}, ${holder.app})` : ''}.`,
      true,
      { hint: 'Another bot instance may be deploying to the same database; wait for it to finish.' },
    );
  }
  return {
    async release() {
      await client.query('select pg_advisory_unlock($1)', [DRAWBRIDGE_RUN_LOCK_KEY]).catch(() => undefined);
      await closeSession(client);
    },
  };
}
