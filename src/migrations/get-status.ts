/**
 * `getStatus`: the I/O shell around `computeStatus`. Opens one read-only session, reads the ledger,
 * the schema's tables (for P3005), the advisory-lock holder and the server version. Never creates
 * anything and never takes the lock (Prisma's status does not either).
 */
import type { Clock } from '../base/clock.js';
import { findLockHolder } from './advisory-lock.js';
import { closeSession, openSession, parseDatabaseUrl, sessionUsesTls } from './connection.js';
import { readMigrationsFolder } from './folder.js';
import { blockingTables, readLedger } from './ledger.js';
import { computeStatus, type StatusReport } from './status.js';
import { describeTls } from './tls-settings.js';

/** Inputs of `getStatus`. */
export interface GetStatusOptions {
  /** Prisma-style URL (the `schema=` parameter picks the schema). */
  databaseUrl: string;
  migrationsDir: string;
  /** Not needed for reading; accepted so callers pass one Clock everywhere. */
  clock?: Clock;
}

/** Reads folder and database and classifies them. Connection faults throw DrawbridgeError (P1xxx). */
export async function getStatus(opts: GetStatusOptions): Promise<StatusReport> {
  const folder = await readMigrationsFolder(opts.migrationsDir);
  const parsed = parseDatabaseUrl(opts.databaseUrl, 'drawbridge status');
  // Status may read through a pooler: it sets nothing on the session and names the schema instead.
  const client = await openSession(parsed, undefined, { searchPath: false });
  try {
    const ledger = await readLedger(client, parsed.schemaExplicit ? parsed.schema : undefined);
    const schemaTables = ledger === null ? await blockingTables(client, parsed.schema) : [];
    const lockHolder = await findLockHolder(client);
    const v = await client.query<{ version: string; num: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num",
    );
    const row = v.rows[0];
    const server = { version: row?.version ?? 'unknown', versionNum: Number(row?.num ?? 0) };
    const report = computeStatus(
      folder,
      ledger,
      lockHolder ? { schemaTables, lockHolder, server } : { schemaTables, server },
    );
    return { ...report, tls: describeTls(parsed.tls, sessionUsesTls(client) === true) };
  } finally {
    await closeSession(client);
  }
}
