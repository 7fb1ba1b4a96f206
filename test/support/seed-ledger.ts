/**
 * Puts a test database into a given migration state the way Prisma would have left it: the SQL of
 * each "applied" migration executed and its `_prisma_migrations` row written with the engine's own
 * bookkeeping functions; a "failed" migration executed, failing, with the failed-row shape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { checksumOf } from '../../src/migrations/checksum.js';
import {
  createLedgerTable,
  insertStartedRow,
  markRowFailed,
  markRowFinished,
} from '../../src/migrations/ledger.js';

export async function seedLedger(
  url: string,
  migrationsDir: string,
  plan: { applied: string[]; failed?: string },
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await createLedgerTable(client);
    for (const name of [...plan.applied, ...(plan.failed ? [plan.failed] : [])]) {
      const bytes = readFileSync(join(migrationsDir, name, 'migration.sql'));
      const id = await insertStartedRow(client, name, checksumOf(bytes), new Date());
      try {
        await client.query(bytes.toString('utf8'));
        await markRowFinished(client, id, new Date());
      } catch (err) {
        if (name !== plan.failed) throw err;
        await markRowFailed(client, id, `Database error:\n${(err as Error).message}\n`);
      }
    }
  } finally {
    await client.end();
  }
}
