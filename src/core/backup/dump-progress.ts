/**
 * Progress of a running pg_dump, against an estimate read before it starts: the tables' sizes and
 * estimated rows (`pg_table_size`, `pg_class.reltuples`). While it runs, `pg_dump --verbose` names
 * each table as it starts dumping it (stderr, streamed by the executor), and one query of
 * `pg_stat_progress_copy` a tick says how far the COPYs of pg_dump's sessions are (several with
 * `--jobs`). Both are read on the executor's host with psql, argument arrays only, so this works on
 * the bastion too; when psql fails, the report falls back to the tables pg_dump has named.
 */
import { formatBytes } from '../../migrations/review/impact-estimate.js';
import type { Executor } from '../../exec/executor.js';
import type { PgConnection } from './pg-connection.js';
import { etaOf, formatDuration, type BackupProgress } from './progress.js';

/** One table as pg_dump names it (`schema.table`, unquoted). */
export interface TableEstimate {
  readonly bytes: number;
  /** `pg_class.reltuples`; null when the table was never analysed. */
  readonly rows: number | null;
}

/** What the dump will go through: table data bytes per table, their sum, the database's size. */
export interface DumpEstimate {
  readonly tables: Readonly<Record<string, TableEstimate>>;
  readonly totalBytes: number;
  readonly databaseBytes: number;
}

/** COPY TO progress of one table (from `pg_stat_progress_copy`). */
export interface CopyProgress {
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
}

const TABLES_SQL = `
select format('%s.%s', n.nspname, c.relname) || E'\\t' || pg_table_size(c.oid) || E'\\t' ||
  c.reltuples::bigint || E'\\t' || pg_database_size(current_database())
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp)'`;

/** The COPYs of pg_dump's own sessions (application_name pg_dump) on this database. */
const COPY_SQL = `
select format('%s.%s', n.nspname, c.relname) || E'\\t' || p.tuples_processed || E'\\t' || p.bytes_processed
from pg_stat_progress_copy p join pg_stat_activity a on a.pid = p.pid
join pg_class c on c.oid = p.relid join pg_namespace n on n.oid = c.relnamespace
where p.datname = current_database() and p.command = 'COPY TO' and a.application_name = 'pg_dump'`;

function psqlArgs(conn: PgConnection, sql: string): string[] {
  return [
    ...['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '--no-password'],
    ...conn.args,
    ...['--dbname', conn.database, '-c', sql],
  ];
}

function rowsOf(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t'));
}

/** The estimate, or undefined when it cannot be read (the dump goes on without one). */
export async function readDumpEstimate(
  executor: Executor,
  conn: PgConnection,
  psql: string,
  signal?: AbortSignal,
): Promise<DumpEstimate | undefined> {
  const r = await executor
    .run({ command: psql, args: psqlArgs(conn, TABLES_SQL), env: conn.env, signal, timeoutMs: 30_000 })
    .catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  const tables: Record<string, TableEstimate> = {};
  let totalBytes = 0;
  let databaseBytes = 0;
  for (const [name, bytes, rows, db] of rowsOf(r.stdout)) {
    if (name === undefined) continue;
    const b = Number(bytes);
    const n = Number(rows);
    tables[name] = { bytes: b, rows: Number.isFinite(n) && n >= 0 ? n : null };
    totalBytes += b;
    databaseBytes = Number(db);
  }
  return { tables, totalBytes, databaseBytes };
}

/** The COPYs pg_dump has under way now (empty when psql fails). */
export async function readCopyProgress(
  executor: Executor,
  conn: PgConnection,
  psql: string,
  signal?: AbortSignal,
): Promise<CopyProgress[]> {
  const r = await executor
    .run({ command: psql, args: psqlArgs(conn, COPY_SQL), env: conn.env, signal, timeoutMs: 10_000 })
    .catch(() => undefined);
  if (!r || r.exitCode !== 0) return [];
  return rowsOf(r.stdout).map(([table, rows, bytes]) => ({
    table: table ?? '',
    rows: Number(rows),
    bytes: Number(bytes),
  }));
}

const STARTED = /dumping contents of table "(.+)"$/;

/** Folds pg_dump's verbose lines and COPY progress into reports. Pure apart from its own state. */
export class DumpProgress {
  /** Tables pg_dump has started, in order. */
  private readonly started: string[] = [];
  private copies: readonly CopyProgress[] = [];

  constructor(
    private readonly estimate: DumpEstimate | undefined,
    private readonly parallel: boolean,
  ) {}

  /** A line of `pg_dump --verbose` (stderr). */
  line(text: string): void {
    const m = STARTED.exec(text.trim());
    if (m?.[1] && !this.started.includes(m[1])) this.started.push(m[1]);
  }

  copyProgress(copies: readonly CopyProgress[]): void {
    this.copies = copies;
  }

  /** Bytes of table data dumped, by the estimate's measure. */
  doneBytes(): number {
    const sizes = this.estimate?.tables ?? {};
    const active = new Set(this.copies.map((c) => c.table));
    // Sequential dumps finish a table before naming the next; parallel ones are told by the COPYs.
    const last = this.parallel ? undefined : this.started[this.started.length - 1];
    let done = 0;
    for (const t of this.started) if (!active.has(t) && t !== last) done += sizes[t]?.bytes ?? 0;
    for (const c of this.copies) {
      const est = sizes[c.table];
      if (!est) continue;
      const f = est.rows && est.rows > 0 ? c.rows / est.rows : est.bytes > 0 ? c.bytes / est.bytes : 0;
      done += Math.min(1, f) * est.bytes;
    }
    return Math.round(done);
  }

  /** The report to show `elapsedMs` after the dump started. */
  report(elapsedMs: number): BackupProgress {
    const total = this.estimate?.totalBytes;
    const done = total === undefined ? 0 : Math.min(this.doneBytes(), total);
    const etaMs = etaOf(done, total, elapsedMs);
    const tableCount = this.estimate ? Object.keys(this.estimate.tables).length : undefined;
    const current = this.copies.length
      ? this.copies.map((c) => c.table).join(', ')
      : this.started[this.started.length - 1];
    const parts = [
      total !== undefined
        ? `${formatBytes(done)} of ~${formatBytes(total)} of table data (${Math.floor((100 * done) / Math.max(1, total))} %)`
        : `${this.started.length} table(s) started`,
      ...(tableCount !== undefined ? [`${this.started.length} of ${tableCount} tables started`] : []),
      ...(current ? [`dumping ${current}`] : []),
      `${formatDuration(elapsedMs)} elapsed`,
      ...(etaMs !== undefined ? [`ETA ${formatDuration(etaMs)}`] : []),
    ];
    return {
      phase: 'dump',
      message: `pg_dump: ${parts.join(', ')}`,
      amount: {
        unit: 'bytes',
        done,
        ...(total !== undefined ? { total } : {}),
        elapsedMs,
        ...(etaMs !== undefined ? { etaMs } : {}),
      },
    };
  }
}
