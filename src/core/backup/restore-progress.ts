/**
 * Progress of a restore, read from outside it: psql runs the script quietly (its standard output may
 * be a pipe to a bot that dies; a quiet psql survives that and commits), so a tick asks the database
 * instead, through psql on the executor's host: what the restoring session (found by its
 * application_name) runs now, and how many rows its COPY has read (`pg_stat_progress_copy`). The
 * script loads tables in the order of the backup's `TABLE DATA` entries (`pg_restore --list`), so the
 * table being loaded says how many are done.
 */
import type { Executor } from '../../exec/executor.js';
import type { PgConnection } from './pg-connection.js';
import { etaOf, formatDuration, type BackupProgress } from './progress.js';

/** `schema.name` of each `TABLE DATA` entry, in the order the restore loads them. Pure. */
export function tableDataEntries(list: string): string[] {
  const out: string[] = [];
  for (const line of list.split('\n')) {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) \S+$/.exec(line.trim());
    if (m?.[1] && m[2]) out.push(`${m[1]}.${m[2]}`);
  }
  return out;
}

/** What the restoring session is doing: its current statement and its COPY's rows so far. */
export interface RestoringSession {
  readonly query: string;
  readonly rows: number | null;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Reads the restoring session (none when psql fails or the session is not there yet). */
export async function readRestoringSession(
  executor: Executor,
  conn: PgConnection,
  psql: string,
  applicationName: string,
  signal?: AbortSignal,
): Promise<RestoringSession | undefined> {
  const sql = `select left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200) || E'\\t' || coalesce(p.tuples_processed, -1)
from pg_stat_activity a left join pg_stat_progress_copy p on p.pid = a.pid
where a.application_name = ${literal(applicationName)} and a.pid <> pg_backend_pid() limit 1`;
  const r = await executor
    .run({
      command: psql,
      args: [
        ...['-X', '-q', '-A', '-t', '--no-password'],
        ...conn.args,
        ...['--dbname', conn.database, '-c', sql],
      ],
      env: conn.env,
      signal,
      timeoutMs: 10_000,
    })
    .catch(() => undefined);
  const line = r?.exitCode === 0 ? r.stdout.split('\n').find((l) => l.includes('\t')) : undefined;
  if (!line) return undefined;
  const tab = line.lastIndexOf('\t');
  const rows = Number(line.slice(tab + 1));
  return { query: line.slice(0, tab), rows: rows >= 0 ? rows : null };
}

const COPY = /^COPY (\S+)/i;

/** Folds what the restoring session does into reports. */
export class RestoreProgress {
  /** Index (0-based) of the table being loaded; -1 before the first. */
  private current = -1;
  private rows: number | null = null;
  private afterData = false;

  constructor(private readonly tables: readonly string[]) {}

  observe(session: RestoringSession): void {
    const m = COPY.exec(session.query);
    if (!m?.[1]) {
      // A statement other than COPY once data loading began: indexes, constraints, the rest.
      if (this.current >= this.tables.length - 1 && this.current >= 0) this.afterData = true;
      return;
    }
    const name = m[1].replace(/"/g, '');
    const i = this.tables.indexOf(name, Math.max(0, this.current));
    if (i >= 0) this.current = i;
    this.rows = session.rows;
  }

  report(elapsedMs: number): BackupProgress {
    const total = this.tables.length;
    const done = this.afterData ? total : Math.max(0, this.current);
    const etaMs = this.afterData ? undefined : etaOf(done, total, elapsedMs);
    const now =
      this.afterData || (total > 0 && done === total)
        ? 'building indexes and constraints'
        : this.current >= 0
          ? `loading ${this.tables[this.current] ?? ''}${this.rows !== null ? ` (${this.rows} rows so far)` : ''}`
          : 'starting';
    return {
      phase: 'restore',
      message: [
        `${done} of ${total} tables restored`,
        now,
        `${formatDuration(elapsedMs)} elapsed`,
        ...(etaMs !== undefined ? [`ETA ${formatDuration(etaMs)}`] : []),
      ].join(', '),
      amount: { unit: 'tables', done, total, elapsedMs, ...(etaMs !== undefined ? { etaMs } : {}) },
    };
  }
}
