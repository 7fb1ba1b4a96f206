/**
 * What "the database is as it was" means after a restore: the same schema (`pg_dump --schema-only`,
 * normalised) and the same number of rows in the tables that were counted exactly. Counting every
 * row of a big database would cost as much as the dump, so the backup step counts exactly only the
 * environment's `criticalTables` (`exactTables`) and records estimates (`pg_class.reltuples`) for
 * the rest, labelled as such; without `exactTables` every table is counted. Both are read through
 * the executor with the same URL as the backup, so they work on the bastion too.
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
  /**
   * Estimated rows (`pg_class.reltuples`; null: never analysed) of the tables not counted exactly.
   * Absent when every table was counted. Never compared: only exact counts are.
   */
  estimatedRowCounts?: Record<string, number | null>;
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
  /**
   * Count exactly only these tables (names as `to_regclass` reads them: `"User"`, `app.orders`);
   * the others get estimates. Absent: every table exactly.
   */
  exactTables?: readonly string[];
}

const CODES = { failed: 'SNAPSHOT_FAILED', cancelled: 'SNAPSHOT_CANCELLED' };

function literal(value: unknown): string {
  return `'${JSON.stringify(value).replace(/'/g, "''")}'`;
}

/**
 * Row counts of every ordinary and partitioned table outside the system schemas, one query: exact
 * (`count(*)`) for all, or only for `exact` and the estimate for the others (`~` before the number).
 */
export function rowCountSql(exact?: readonly string[]): string {
  const counted =
    exact === undefined
      ? 'true'
      : `c.oid in (select to_regclass(t) from jsonb_array_elements_text(${literal(exact)}::jsonb) t)`;
  return `
select format('%s.%s', quote_ident(n.nspname), quote_ident(c.relname)) || E'\\t' ||
  case when ${counted} then
    (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname),
      false, true, '')))[1]::text
  else '~' || c.reltuples::bigint::text end
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp)'
order by 1`;
}

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
  // The schema and the counts are independent reads: side by side (both ended before a failure is thrown).
  const [schemaRead, countsRead] = await Promise.allSettled([
    runChecked(
      opts.executor,
      {
        command: opts.pgDumpCommand ?? 'pg_dump',
        args: ['--schema-only', '--no-owner', '--no-password', ...conn.args, '--dbname', conn.database],
        env: conn.env,
        signal: opts.signal,
      },
      'pg_dump --schema-only',
      CODES,
    ),
    runChecked(
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
          rowCountSql(opts.exactTables),
        ],
        env: conn.env,
        signal: opts.signal,
      },
      'Counting rows',
      CODES,
    ),
  ]);
  if (schemaRead.status === 'rejected') throw schemaRead.reason;
  if (countsRead.status === 'rejected') throw countsRead.reason;
  const [schema, counts] = [schemaRead.value, countsRead.value];
  return {
    schemaDump: normaliseSchemaDump(schema.stdout),
    ...parseRowCounts(counts.stdout, opts.exactTables),
  };
}

/** Reads `table<TAB>count` lines (`~n` for an estimate, `~-1` for none). Pure. */
export function parseRowCounts(
  stdout: string,
  exactTables?: readonly string[],
): Pick<DatabaseSnapshot, 'rowCounts' | 'estimatedRowCounts'> {
  const rowCounts: Record<string, number> = {};
  const estimated: Record<string, number | null> = {};
  for (const line of stdout.split('\n')) {
    const tab = line.lastIndexOf('\t');
    if (tab <= 0) continue;
    const [table, value] = [line.slice(0, tab), line.slice(tab + 1)];
    if (value.startsWith('~')) {
      const n = Number(value.slice(1));
      estimated[table] = n >= 0 ? n : null;
    } else rowCounts[table] = Number(value);
  }
  return exactTables === undefined ? { rowCounts } : { rowCounts, estimatedRowCounts: estimated };
}

/** The `exactTables` that reproduce `snapshot`'s exact counts (for the snapshot after a restore). */
export function exactTablesOf(snapshot: DatabaseSnapshot): string[] | undefined {
  return snapshot.estimatedRowCounts === undefined ? undefined : Object.keys(snapshot.rowCounts);
}

/** "exact: public."User" 50; estimated (pg_class.reltuples): public.audit_note ~2 …", for people. */
export function describeRowCounts(snapshot: DatabaseSnapshot, max = 10): string {
  const exact = Object.entries(snapshot.rowCounts);
  const est = Object.entries(snapshot.estimatedRowCounts ?? {});
  const list = (xs: [string, number | null][], mark: string): string =>
    xs
      .slice(0, max)
      .map(([t, n]) => `${t} ${n === null ? 'unknown (never analysed)' : `${mark}${n}`}`)
      .join(', ') + (xs.length > max ? `, … ${xs.length - max} more` : '');
  return [
    exact.length ? `exact: ${list(exact, '')}` : 'exact: none',
    ...(est.length ? [`estimates (pg_class.reltuples, not counted): ${list(est, '~')}`] : []),
  ].join('; ');
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
  // Only exact counts are compared; a table estimated on either side is not (the schema still is).
  const estimated = new Set([
    ...Object.keys(before.estimatedRowCounts ?? {}),
    ...Object.keys(after.estimatedRowCounts ?? {}),
  ]);
  const tables = [...new Set([...Object.keys(before.rowCounts), ...Object.keys(after.rowCounts)])]
    .filter((t) => !estimated.has(t))
    .sort();
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
