/**
 * `_prisma_migrations`, read and written with the statements Prisma's schema engine uses. All SQL
 * is unqualified: the session search_path (the URL's `schema=`) decides which table it is.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { sqlStateOf, SQLSTATE } from '../base/sqlstate.js';

/** One ledger row. Timestamps have the client's millisecond precision when written by Drawbridge. */
export interface LedgerRow {
  id: string;
  checksum: string;
  finishedAt: Date | null;
  migrationName: string;
  logs: string | null;
  rolledBackAt: Date | null;
  startedAt: Date;
  appliedStepsCount: number;
}

/** Prisma's exact DDL for the ledger. */
export const LEDGER_DDL =
  'CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, ' +
  'finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, ' +
  'started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)';

/** Tables Prisma ignores when deciding whether a schema is empty (PostGIS), matched case-insensitively. */
const IGNORED_TABLES =
  /^(spatial_ref_sys|geometry_columns|geography_columns|raster_columns|raster_overviews)$/i;

interface RawRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/**
 * Reads every row ordered by `started_at` like Prisma. Returns null when the table does not exist.
 * With `schema` the table is named in that schema (a session that sets no search_path).
 */
export async function readLedger(client: pg.Client, schema?: string): Promise<LedgerRow[] | null> {
  const table =
    schema === undefined ? '"_prisma_migrations"' : `"${schema.replace(/"/g, '""')}"."_prisma_migrations"`;
  try {
    const res = await client.query<RawRow>(
      'SELECT "id","checksum","finished_at","migration_name","logs","rolled_back_at","started_at","applied_steps_count" ' +
        `FROM ${table} ORDER BY "started_at" ASC`,
    );
    return res.rows.map((r) => ({
      id: r.id,
      checksum: r.checksum,
      finishedAt: r.finished_at,
      migrationName: r.migration_name,
      logs: r.logs,
      rolledBackAt: r.rolled_back_at,
      startedAt: r.started_at,
      appliedStepsCount: r.applied_steps_count,
    }));
  } catch (err) {
    if (sqlStateOf(err) === SQLSTATE.UNDEFINED_TABLE) return null;
    throw err;
  }
}

/**
 * Ordinary tables (relkind 'r') in `schema` that make Prisma call the schema non-empty (P3005):
 * everything except `_prisma_migrations` and the PostGIS tables.
 */
export async function blockingTables(client: pg.Client, schema: string): Promise<string[]> {
  const res = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = $1 ORDER BY c.relname`,
    [schema],
  );
  return res.rows.map((r) => r.relname).filter((n) => n !== '_prisma_migrations' && !IGNORED_TABLES.test(n));
}

/** Whether `_prisma_migrations` exists as an ordinary table in `schema`. */
export async function ledgerTableExists(client: pg.Client, schema: string): Promise<boolean> {
  const res = await client.query(
    `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname = $1 AND c.relname = '_prisma_migrations'`,
    [schema],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Creates the ledger table with Prisma's DDL. */
export async function createLedgerTable(client: pg.Client): Promise<void> {
  await client.query(LEDGER_DDL);
}

/** Prisma's `record_migration_started`: a new row with id, checksum, started_at and name. Returns the id. */
export async function insertStartedRow(
  client: pg.Client,
  name: string,
  checksum: string,
  startedAt: Date,
  id: string = randomUUID(),
): Promise<string> {
  await client.query(
    'INSERT INTO "_prisma_migrations" ("id","checksum","started_at","migration_name") VALUES ($1,$2,$3,$4)',
    [id, checksum, startedAt, name],
  );
  return id;
}

/** Prisma's success path: applied_steps_count + 1, then finished_at. */
export async function markRowFinished(client: pg.Client, id: string, finishedAt: Date): Promise<void> {
  await client.query(
    'UPDATE "_prisma_migrations" SET "applied_steps_count" = ("applied_steps_count" + $1) WHERE "id" = $2',
    [1, id],
  );
  await client.query('UPDATE "_prisma_migrations" SET "finished_at" = $1 WHERE "id" = $2', [finishedAt, id]);
}

/** Prisma's failure path: logs set, finished_at left NULL. */
export async function markRowFailed(client: pg.Client, id: string, logs: string): Promise<void> {
  await client.query('UPDATE "_prisma_migrations" SET "logs" = $1 WHERE "id" = $2', [logs, id]);
}

/** `resolve`: sets rolled_back_at on one row. */
export async function markRowRolledBack(client: pg.Client, id: string, at: Date): Promise<void> {
  await client.query('UPDATE "_prisma_migrations" SET "rolled_back_at" = $1 WHERE "id" = $2', [at, id]);
}

/** `resolve --applied`: a row with logs '' and started_at = finished_at = `at`, steps 0. Returns the id. */
export async function insertResolvedAppliedRow(
  client: pg.Client,
  name: string,
  checksum: string,
  at: Date,
): Promise<string> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO "_prisma_migrations" ("id","checksum","logs","started_at","finished_at","migration_name") ' +
      'VALUES ($1,$2,$3,$4,$5,$6)',
    [id, checksum, '', at, at, name],
  );
  return id;
}

/** Failed-row test used everywhere by Prisma. */
export function isFailedRow(row: LedgerRow): boolean {
  return row.finishedAt === null && row.rolledBackAt === null;
}
