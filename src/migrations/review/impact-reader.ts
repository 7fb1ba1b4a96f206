/**
 * Reads table facts for the impact estimate from the target database, read-only: row estimates,
 * total size and the relation locks other sessions hold right now. One short connection with
 * `default_transaction_read_only` on; the password never appears in errors.
 */
import type pg from 'pg';
import { closeSession, openSession, parseDatabaseUrl } from '../connection.js';
import { describeError } from '../../base/errors.js';
import type { TableFacts } from './impact-estimate.js';

/** A table to look up, by schema and name as the parser produced them. */
export interface TableRef {
  key: string;
  schema: string;
  name: string;
}

const SIZE_SQL = `
SELECT c.oid::int8 AS oid, c.reltuples::float8 AS reltuples, c.relpages::int8 AS relpages
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'm')`;

const LOCKS_SQL = `
SELECT l.pid, l.mode, coalesce(a.state, '') AS state, left(coalesce(a.query, ''), 200) AS query,
       extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start))::float8 AS age
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = $1::int8::oid AND l.granted AND l.pid <> pg_backend_pid()`;

/** Upper bound for the exact count used when a table has never been analyzed. */
const COUNT_TIMEOUT_MS = 1000;

/** Reads facts for every table; throws (redacted) when the database cannot be reached. */
export async function readTableFacts(
  databaseUrl: string,
  tables: TableRef[],
): Promise<Map<string, TableFacts>> {
  let client: pg.Client;
  try {
    const parsed = parseDatabaseUrl(databaseUrl, 'drawbridge-review');
    client = await openSession({
      ...parsed,
      clientConfig: {
        ...parsed.clientConfig,
        // The server's statement_timeout cannot fire over a silent network: the client gives up too.
        query_timeout: 10_000,
        options: '-c default_transaction_read_only=on -c statement_timeout=5000 -c lock_timeout=1000',
      },
    });
  } catch (err) {
    throw new Error(`cannot connect to the database: ${describeError(err)}`);
  }
  try {
    const out = new Map<string, TableFacts>();
    for (const t of tables) out.set(t.key, await factsFor(client, t));
    return out;
  } finally {
    await closeSession(client);
  }
}

async function factsFor(client: pg.Client, t: TableRef): Promise<TableFacts> {
  const size = await client.query<{ oid: string; reltuples: number; relpages: string }>(SIZE_SQL, [
    t.schema,
    t.name,
  ]);
  const row = size.rows[0];
  if (!row) return { exists: false, rows: 0, rowsSource: 'unknown', totalBytes: 0, heldLocks: [] };
  let rows: number | null = row.reltuples >= 0 ? row.reltuples : null;
  let rowsSource: TableFacts['rowsSource'] = rows === null ? 'unknown' : 'statistics';
  if (rows === null) {
    rows = await boundedCount(client, t);
    if (rows !== null) rowsSource = 'count';
  }
  const locks = await client.query<{ pid: number; mode: string; state: string; query: string; age: number }>(
    LOCKS_SQL,
    [row.oid],
  );
  return {
    exists: true,
    rows,
    rowsSource,
    totalBytes: await totalSize(client, row.oid, Number(row.relpages)),
    heldLocks: locks.rows.map((l) => ({
      pid: l.pid,
      mode: l.mode,
      state: l.state,
      query: l.query,
      ageSeconds: Math.max(0, l.age),
    })),
  };
}

/**
 * pg_total_relation_size needs a lock that waits behind an ACCESS EXCLUSIVE holder; when it times out,
 * the catalog's page count (main fork only) stands in.
 */
async function totalSize(client: pg.Client, oid: string, relpages: number): Promise<number> {
  try {
    const res = await client.query<{ bytes: string }>(
      'SELECT pg_total_relation_size($1::int8::oid)::int8 AS bytes',
      [oid],
    );
    return Number(res.rows[0]?.bytes ?? 0);
  } catch {
    return relpages * 8192;
  }
}

/** An exact count for never-analyzed tables, given up after COUNT_TIMEOUT_MS. */
async function boundedCount(client: pg.Client, t: TableRef): Promise<number | null> {
  const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL statement_timeout = ${COUNT_TIMEOUT_MS}`);
    const res = await client.query<{ n: string }>(
      `SELECT count(*)::int8 AS n FROM ${ident(t.schema)}.${ident(t.name)}`,
    );
    return Number(res.rows[0]?.n ?? 0);
  } catch {
    return null;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
