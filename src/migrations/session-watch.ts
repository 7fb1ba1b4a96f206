/**
 * A second connection beside the migration session: the guarded session's probe (is the migration
 * session still working, and who blocks it) and the INVALID-index check after a failed CONCURRENTLY.
 * Cancel goes over a connection of its own (guarded-session.ts), never over this one.
 */
import type pg from 'pg';
import { openSession, closeSession, type ParsedDatabaseUrl } from './connection.js';

/** A session that blocks the migration session. */
export interface Blocker {
  pid: number;
  applicationName: string;
  state: string;
  /** Age of its current transaction in ms, when it is in one. */
  xactAgeMs: number | null;
  query: string;
}

interface BlockerRow {
  pid: number;
  application_name: string | null;
  state: string | null;
  xact_age_ms: string | null;
  query: string | null;
}

/** Watches one migration session (by pid). */
export class SessionWatch {
  private constructor(
    private readonly client: pg.Client,
    private readonly targetPid: number,
  ) {}

  /** Opens the watch connection for the session with `targetPid`. */
  static async open(parsed: ParsedDatabaseUrl, targetPid: number): Promise<SessionWatch> {
    const client = await openSession({
      ...parsed,
      clientConfig: { ...parsed.clientConfig, application_name: 'drawbridge watch' },
    });
    return new SessionWatch(client, targetPid);
  }

  /**
   * One look at the watched session: its state (undefined when it is gone) and who blocks it.
   */
  async probe(): Promise<{ state: string | undefined; blockers: Blocker[] }> {
    const res = await this.client.query<BlockerRow & { target_state: string | null }>(
      `SELECT t.state AS target_state, b.pid, b.application_name, b.state,
              floor(extract(epoch FROM (clock_timestamp() - b.xact_start)) * 1000)::bigint::text AS xact_age_ms,
              b.query
         FROM (SELECT state FROM pg_stat_activity WHERE pid = $1) t
         LEFT JOIN LATERAL (SELECT a.pid, a.application_name, a.state, a.xact_start, a.query
                              FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1))) b ON true
        ORDER BY b.pid`,
      [this.targetPid],
    );
    const first = res.rows[0];
    return {
      state: first ? (first.target_state ?? 'unknown') : undefined,
      blockers: res.rows
        .filter((r) => r.pid !== null)
        .map((r) => ({
          pid: r.pid,
          applicationName: r.application_name ?? '',
          state: r.state ?? 'unknown',
          xactAgeMs: r.xact_age_ms === null ? null : Number(r.xact_age_ms),
          query: r.query ?? '',
        })),
    };
  }

  /** Drops the watch connection at once (its path is presumed broken). */
  abandon(): void {
    const stream = (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection
      ?.stream;
    stream?.destroy();
  }

  /** Indexes left INVALID (e.g. by a failed CREATE INDEX CONCURRENTLY), as `schema.name` keys. */
  async invalidIndexes(): Promise<{ schema: string; name: string; table: string }[]> {
    const res = await this.client.query<{ schema: string; name: string; table: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, t.relname AS table
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid ORDER BY 1, 2`,
    );
    return res.rows;
  }

  async close(): Promise<void> {
    await closeSession(this.client);
  }
}
