/**
 * One read of PostgreSQL for the watch: a read-only session with short timeouts, catalog views only
 * (pg_stat_activity, pg_stat_database, pg_stat_user_tables/indexes, pg_stat_statements when it is
 * installed). Cheap by design: a handful of small queries, no table is read.
 */
import type pg from 'pg';
import { redact } from '../../base/redact.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import type { Counters, DatabaseReading, StatementReading, TableReading, WatchTargets } from './types.js';

const CONNECTIONS_SQL = `
SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n
  FROM pg_stat_activity
 WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
 GROUP BY 1`;

const SERVER_SQL = `
SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS server,
       current_setting('max_connections')::int AS max,
       (SELECT count(*)::int FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock') AS waiters`;

const LONGEST_SQL = `
SELECT extract(epoch FROM now() - query_start)::float8 AS seconds, left(query, 200) AS query
  FROM pg_stat_activity
 WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
   AND backend_type = 'client backend'
 ORDER BY query_start LIMIT 1`;

const DATABASE_SQL = `
SELECT deadlocks::float8 AS deadlocks, xact_rollback::float8 AS rollbacks, temp_files::float8 AS temp_files
  FROM pg_stat_database WHERE datname = current_database()`;

const TABLES_SQL = `
SELECT s.schemaname || '.' || s.relname AS name, pg_total_relation_size(s.relid)::float8 AS bytes,
       coalesce(s.seq_scan, 0)::float8 AS seq, coalesce(s.idx_scan, 0)::float8 AS idx
  FROM pg_stat_user_tables s
 WHERE s.schemaname || '.' || s.relname = ANY($1::text[])`;

const TABLES_ESTIMATE_SQL = `
SELECT s.schemaname || '.' || s.relname AS name,
       (c.relpages::float8 * current_setting('block_size')::float8) AS bytes,
       coalesce(s.seq_scan, 0)::float8 AS seq, coalesce(s.idx_scan, 0)::float8 AS idx
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
 WHERE s.schemaname || '.' || s.relname = ANY($1::text[])`;

const INDEXES_SQL = `
SELECT s.schemaname || '.' || s.indexrelname AS qualified, s.indexrelname AS name, s.idx_scan::float8 AS scans
  FROM pg_stat_user_indexes s
 WHERE s.indexrelname = ANY($1::text[]) OR s.schemaname || '.' || s.indexrelname = ANY($1::text[])`;

const STATEMENTS_SQL = `
SELECT left(query, 200) AS query, calls::float8 AS calls, mean_exec_time::float8 AS mean
  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
 WHERE d.datname = current_database()
 ORDER BY mean_exec_time DESC LIMIT 3`;

/** A database read and the counters to keep for the next one. */
export interface DatabaseRead {
  readonly reading: DatabaseReading;
  readonly counters: NonNullable<Counters['db']>;
}

/**
 * Reads the database once. `previous`: the counters of the last read (deltas are counted from
 * there; without them, from zero change). Throws when the database cannot be reached or a query fails.
 */
export async function readDatabase(
  url: string,
  targets: WatchTargets,
  previous: Counters['db'] | undefined,
): Promise<DatabaseRead> {
  const parsed = parseDatabaseUrl(url, 'drawbridge-monitor');
  const client = await openSession(
    {
      ...parsed,
      clientConfig: {
        ...parsed.clientConfig,
        query_timeout: 10_000,
        options: '-c default_transaction_read_only=on -c statement_timeout=5000 -c lock_timeout=200',
      },
    },
    undefined,
    { searchPath: false },
  );
  try {
    return await readWith(client, targets, previous);
  } finally {
    await closeSession(client);
  }
}

async function readWith(
  client: pg.Client,
  targets: WatchTargets,
  previous: Counters['db'] | undefined,
): Promise<DatabaseRead> {
  const byState = await client.query<{ state: string; n: number }>(CONNECTIONS_SQL);
  const connections: Record<string, number> = {};
  for (const r of byState.rows) connections[r.state] = r.n;
  const server = (await client.query<{ server: number; max: number; waiters: number }>(SERVER_SQL)).rows[0];
  const longest = (await client.query<{ seconds: number; query: string }>(LONGEST_SQL)).rows[0];
  const db = (await client.query<{ deadlocks: number; rollbacks: number; temp_files: number }>(DATABASE_SQL))
    .rows[0];
  const counters = {
    deadlocks: db?.deadlocks ?? 0,
    rollbacks: db?.rollbacks ?? 0,
    tempFiles: db?.temp_files ?? 0,
  };
  const delta = (k: keyof typeof counters): number => (previous ? Math.max(0, counters[k] - previous[k]) : 0);
  const tables = await tableReadings(client, targets);
  const indexes = targets.indexes.length
    ? (
        await client.query<{ qualified: string; name: string; scans: number }>(INDEXES_SQL, [targets.indexes])
      ).rows.map((r) => ({
        name: targets.indexes.includes(r.qualified) ? r.qualified : r.name,
        scans: r.scans,
      }))
    : [];
  const { statements, note } = await slowestStatements(client);
  const max = server?.max ?? 0;
  const serverConnections = server?.server ?? 0;
  return {
    reading: {
      connections,
      serverConnections,
      maxConnections: max,
      connectionsPercent: max > 0 ? (serverConnections / max) * 100 : 0,
      idleInTransaction:
        (connections['idle in transaction'] ?? 0) + (connections['idle in transaction (aborted)'] ?? 0),
      longestQuery: longest ? { seconds: longest.seconds, query: redact(longest.query) } : null,
      lockWaiters: server?.waiters ?? 0,
      deadlocks: delta('deadlocks'),
      rollbacks: delta('rollbacks'),
      tempFiles: delta('tempFiles'),
      tables,
      indexes,
      statements,
      ...(note ? { statementsNote: note } : {}),
    },
    counters,
  };
}

/**
 * Sizes and scans of the tables. A size needs a lock the watched table may not give (a migration or
 * a held lock): then, after a short lock_timeout, the planner's page count stands in for it.
 */
async function tableReadings(client: pg.Client, targets: WatchTargets): Promise<TableReading[]> {
  if (!targets.tables.length) return [];
  type Row = { name: string; bytes: number; seq: number; idx: number };
  let rows: Row[];
  try {
    rows = (await client.query<Row>(TABLES_SQL, [targets.tables])).rows;
  } catch {
    rows = (await client.query<Row>(TABLES_ESTIMATE_SQL, [targets.tables])).rows;
  }
  return rows.map((r) => ({ name: r.name, bytes: r.bytes, seqScan: r.seq, idxScan: r.idx }));
}

async function slowestStatements(
  client: pg.Client,
): Promise<{ statements: StatementReading[] | null; note?: string }> {
  const ext = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
  if (ext.rowCount === 0)
    return {
      statements: null,
      note: 'pg_stat_statements is not installed in this database, so the slowest statements are not known',
    };
  try {
    const r = await client.query<{ query: string; calls: number; mean: number }>(STATEMENTS_SQL);
    return { statements: r.rows.map((s) => ({ query: redact(s.query), calls: s.calls, meanMs: s.mean })) };
  } catch (err) {
    // Installed but not loaded (shared_preload_libraries), or no permission to read it.
    return {
      statements: null,
      note: `pg_stat_statements could not be read: ${redact(String((err as Error).message))}`,
    };
  }
}
