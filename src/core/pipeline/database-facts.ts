/**
 * Read-only facts about a target database that the plan and the preflight need, in one session:
 * server version, size, system identifier, and transactions that hold locks on the tables a plan
 * touches. Also the exact row counts of the critical tables that verify compares.
 */
import { closeSession, openSession, parseDatabaseUrl, quoteIdent } from '../../migrations/connection.js';
import { redact } from '../../base/redact.js';
import { readLedger } from '../../migrations/ledger.js';

/** A transaction, other than ours, that holds a lock on a table the plan touches. */
export interface OpenTransaction {
  readonly pid: number;
  readonly table: string;
  readonly mode: string;
  readonly ageSeconds: number;
  readonly state: string;
  /** Its current or last query, redacted and cut to 160 characters. */
  readonly query: string;
}

export interface DatabaseFacts {
  readonly serverVersion: string;
  readonly serverVersionNum: number;
  readonly databaseBytes: number;
  readonly systemIdentifier?: string;
  readonly openTransactions: readonly OpenTransaction[];
}

/** Transactions younger than this are ordinary traffic; the apply step's lock timeout handles them. */
export const LONG_TRANSACTION_SECONDS = 5;

const OPEN_TRANSACTIONS_SQL = `
select a.pid, n.nspname || '.' || c.relname as table_name, l.mode,
       floor(extract(epoch from (now() - a.xact_start)))::int as age_seconds,
       coalesce(a.state, '') as state, coalesce(a.query, '') as query
from pg_locks l
join pg_stat_activity a on a.pid = l.pid
join pg_class c on c.oid = l.relation
join pg_namespace n on n.oid = c.relnamespace
where l.locktype = 'relation' and l.granted and a.pid <> pg_backend_pid()
  and a.xact_start is not null and a.datname = current_database()
  and c.oid in (select to_regclass(t) from unnest($1::text[]) as t)
  and now() - a.xact_start >= make_interval(secs => $2)
order by a.xact_start, a.pid`;

/** Reads the facts; `tables` are the tables the plan touches as SQL names (`"User"`, `app.orders`). */
export async function readDatabaseFacts(
  databaseUrl: string,
  tables: readonly string[],
): Promise<DatabaseFacts> {
  const client = await openSession(parseDatabaseUrl(databaseUrl, 'drawbridge preflight'));
  try {
    const v = await client.query<{ version: string; num: string; size: string }>(
      `select current_setting('server_version') as version, current_setting('server_version_num') as num,
              pg_database_size(current_database())::text as size`,
    );
    const row = v.rows[0];
    const systemIdentifier = await client
      .query<{ id: string }>('select system_identifier::text as id from pg_control_system()')
      .then((r) => r.rows[0]?.id)
      .catch(() => undefined);
    const open =
      tables.length === 0
        ? []
        : (
            await client.query<{
              pid: number;
              table_name: string;
              mode: string;
              age_seconds: number;
              state: string;
              query: string;
            }>(OPEN_TRANSACTIONS_SQL, [tables, LONG_TRANSACTION_SECONDS])
          ).rows.map((r) => ({
            pid: r.pid,
            table: r.table_name,
            mode: r.mode,
            ageSeconds: r.age_seconds,
            state: r.state,
            query: redact(r.query.replace(/\s+/g, ' ').slice(0, 160)),
          }));
    return {
      serverVersion: row?.version ?? 'unknown',
      serverVersionNum: Number(row?.num ?? 0),
      databaseBytes: Number(row?.size ?? 0),
      ...(systemIdentifier ? { systemIdentifier } : {}),
      openTransactions: open,
    };
  } finally {
    await closeSession(client);
  }
}

/** Exact row counts of `tables` (names as in the config, in the URL's schema); null for a missing table. */
export async function countRows(
  databaseUrl: string,
  tables: readonly string[],
): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  if (tables.length === 0) return out;
  const parsed = parseDatabaseUrl(databaseUrl, 'drawbridge verify');
  const client = await openSession(parsed);
  try {
    for (const table of tables) {
      const exists = await client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [
        `${quoteIdent(parsed.schema)}.${quoteIdent(table)}`,
      ]);
      if (!exists.rows[0]?.ok) {
        out[table] = null;
        continue;
      }
      const r = await client.query<{ n: string }>(
        `select count(*)::text as n from ${quoteIdent(parsed.schema)}.${quoteIdent(table)}`,
      );
      out[table] = Number(r.rows[0]?.n ?? 0);
    }
    return out;
  } finally {
    await closeSession(client);
  }
}

/** One `_prisma_migrations` row as verify compares it with the approved plan. */
export interface LedgerFact {
  readonly id: string;
  readonly name: string;
  readonly checksum: string;
  readonly finished: boolean;
}

/** Every ledger row (empty when there is no ledger yet). */
export async function ledgerFacts(databaseUrl: string): Promise<LedgerFact[]> {
  const client = await openSession(parseDatabaseUrl(databaseUrl, 'drawbridge verify'));
  try {
    const rows = (await readLedger(client)) ?? [];
    return rows.map((r) => ({
      id: r.id,
      name: r.migrationName,
      checksum: r.checksum,
      finished: r.finishedAt !== null,
    }));
  } finally {
    await closeSession(client);
  }
}

/** The ids of the ledger rows that exist now (taken before apply, so verify can see what is new). */
export async function ledgerRowIds(databaseUrl: string): Promise<string[]> {
  return (await ledgerFacts(databaseUrl)).map((r) => r.id);
}
