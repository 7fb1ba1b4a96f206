/**
 * What "the database is as it was" means after a restore: the same schema (`pg_dump --schema-only`,
 * normalised) and the same number of rows in every table. Both are read through the executor with
 * the same URL as the backup, so they work on the bastion too.
 */
import type { Executor } from '../../exec/executor.js';
import { pgConnection } from './pg-connection.js';
import { runChecked } from './run-checked.js';

/** A database's schema and exact row counts at one moment. */
export interface DatabaseSnapshot {
  /** Normalised schema dump: no comments, blank lines, SET lines or pg_dump session keys. */
  schemaDump: string;
  /** Exact row count per table, keyed by quoted `schema.table`. */
  rowCounts: Record<string, number>;
}

/** How two snapshots differ. */
export interface SnapshotComparison {
  identical: boolean;
  /** Schema lines only in the first snapshot (`removed`) or only in the second (`added`). */
  schemaChanges: { removed: string[]; added: string[] };
  /** Tables whose count differs; null where the table is missing on that side. */
  rowCountChanges: { table: string; before: number | null; after: number | null }[];
}

export interface SnapshotOptions {
  executor: Executor;
  /** The database URL as seen from the executor's host. */
  databaseUrl: string;
  signal?: AbortSignal;
  pgDumpCommand?: string;
  psqlCommand?: string;
}

const CODES = { failed: 'SNAPSHOT_FAILED', cancelled: 'SNAPSHOT_CANCELLED' };

/** Exact counts of every ordinary and partitioned table outside the system schemas, one query. */
const ROW_COUNT_SQL = `
select format('%s.%s', quote_ident(n.nspname), quote_ident(c.relname)) || E'\\t' ||
  (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname),
    false, true, '')))[1]::text
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp)'
order by 1`;

/** Drops what changes between two dumps of the same schema (comments, SET lines, session keys). */
export function normaliseSchemaDump(dump: string): string {
  return dump
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter(
      (l) =>
        l !== '' &&
        !l.startsWith('--') &&
        !/^SET /.test(l) &&
        !l.startsWith('SELECT pg_catalog.set_config(') &&
        !/^\\(un)?restrict\b/.test(l),
    )
    .join('\n');
}

export async function snapshotDatabase(opts: SnapshotOptions): Promise<DatabaseSnapshot> {
  const conn = pgConnection(opts.databaseUrl);
  const schema = await runChecked(
    opts.executor,
    {
      command: opts.pgDumpCommand ?? 'pg_dump',
      args: ['--schema-only', '--no-owner', '--no-password', ...conn.args, '--dbname', conn.database],
      env: conn.env,
      signal: opts.signal,
    },
    'pg_dump --schema-only',
    CODES,
  );
  const counts = await runChecked(
    opts.executor,
    {
      command: opts.psqlCommand ?? 'psql',
      args: [
        '-X',
        '-q',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '--no-password',
        ...conn.args,
        '--dbname',
        conn.database,
        '-c',
        ROW_COUNT_SQL,
      ],
      env: conn.env,
      signal: opts.signal,
    },
    'Counting rows',
    CODES,
  );
  const rowCounts: Record<string, number> = {};
  for (const line of counts.stdout.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab > 0) rowCounts[line.slice(0, tab)] = Number(line.slice(tab + 1));
  }
  return { schemaDump: normaliseSchemaDump(schema.stdout), rowCounts };
}

function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const l of b) left.set(l, (left.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const l of a) {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    else out.push(l);
  }
  return out;
}

/** Compares two snapshots (e.g. right after the backup, and after a restore). Pure. */
export function compareSnapshots(before: DatabaseSnapshot, after: DatabaseSnapshot): SnapshotComparison {
  const a = before.schemaDump.split('\n');
  const b = after.schemaDump.split('\n');
  const schemaChanges = { removed: multisetMinus(a, b), added: multisetMinus(b, a) };
  const tables = [...new Set([...Object.keys(before.rowCounts), ...Object.keys(after.rowCounts)])].sort();
  const rowCountChanges = tables
    .map((table) => ({
      table,
      before: before.rowCounts[table] ?? null,
      after: after.rowCounts[table] ?? null,
    }))
    .filter((c) => c.before !== c.after);
  const identical =
    schemaChanges.removed.length === 0 && schemaChanges.added.length === 0 && rowCountChanges.length === 0;
  return { identical, schemaChanges, rowCountChanges };
}
