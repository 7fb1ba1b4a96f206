/**
 * The table locks a rehearsal's migration session holds, sampled from `pg_locks` on the shadow every
 * few milliseconds from a connection of its own (found by the session's application_name). A lock held
 * for less than one interval can be missed; the rehearsal adds the SQL review's analysis for tables
 * no sample saw, and says which is which (`LockTaken.source`).
 */
import type pg from 'pg';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { fromPgLockName, strongerLock } from '../../migrations/review/lock-modes.js';
import type { LockMode } from '../../migrations/review/types.js';

const LOCKS_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, l.mode
    FROM pg_locks l
    JOIN pg_stat_activity a ON a.pid = l.pid
    JOIN pg_class c ON c.oid = l.relation
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE a.application_name = $1 AND l.locktype = 'relation' AND l.granted
     AND c.relkind IN ('r', 'p', 'm') AND c.relname <> '_prisma_migrations'
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`;

/** Samples the locks of the session named `applicationName` until stopped. */
export class LockSampler {
  private readonly seen = new Map<string, Map<string, LockMode>>();
  private current: string | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly applicationName: string,
    private readonly everyMs: number,
  ) {}

  static async start(url: string, applicationName: string, everyMs = 20): Promise<LockSampler> {
    const client = await openSession(parseDatabaseUrl(url, 'drawbridge rehearsal locks'), undefined, {
      searchPath: false,
    });
    const sampler = new LockSampler(client, applicationName, everyMs);
    sampler.loop = sampler.run();
    return sampler;
  }

  /** Samples from now on are about migration `name` (undefined: between migrations). */
  attribute(name: string | undefined): void {
    this.current = name;
  }

  /** The strongest mode seen per table (`schema.table`) while `name` ran. */
  locksOf(name: string): { table: string; mode: LockMode }[] {
    return [...(this.seen.get(name) ?? new Map<string, LockMode>()).entries()].map(([table, mode]) => ({
      table,
      mode,
    }));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const name = this.current;
      if (name !== undefined) {
        const r = await this.client
          .query<{ schema: string; table: string; mode: string }>(LOCKS_SQL, [this.applicationName])
          .catch(() => undefined);
        const tables = this.seen.get(name) ?? new Map<string, LockMode>();
        for (const row of r?.rows ?? []) {
          const mode = fromPgLockName(row.mode);
          if (!mode) continue;
          const key = row.schema === 'public' ? row.table : `${row.schema}.${row.table}`;
          const held = tables.get(key);
          tables.set(key, held ? strongerLock(held, mode) : mode);
        }
        this.seen.set(name, tables);
      }
      await new Promise((resolve) => setTimeout(resolve, this.everyMs));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await closeSession(this.client);
  }
}
