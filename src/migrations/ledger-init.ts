/** Prisma's ledger initialisation and folder checks shared by deploy and resolve. */
import type pg from 'pg';
import { refusal, type Refusal } from '../base/errors.js';
import type { MigrationsFolder } from './folder.js';
import { blockingTables, createLedgerTable, ledgerTableExists } from './ledger.js';

/** P3019 when `migration_lock.toml` exists and does not say postgresql. */
export function p3019Refusal(folder: MigrationsFolder): Refusal | undefined {
  if (folder.lockProvider === undefined || folder.lockProvider === 'postgresql') return undefined;
  return refusal(
    'P3019',
    `The datasource provider \`postgresql\` specified in your schema does not match the one specified in the migration_lock.toml, \`${folder.lockProvider}\`. Please remove your current migration directory and start a new migration history with prisma migrate dev. Read more: https://pris.ly/d/migrate-provider-switch`,
    'migration_lock.toml must contain the line provider = "postgresql".',
  );
}

/**
 * Deploy's `initialize`: nothing when the table exists; P3005 when the schema has other tables;
 * otherwise creates the table with Prisma's DDL.
 */
export async function initializeLedger(client: pg.Client, schema: string): Promise<Refusal | undefined> {
  if (await ledgerTableExists(client, schema)) return undefined;
  const tables = await blockingTables(client, schema);
  if (tables.length > 0) {
    return refusal(
      'P3005',
      `The database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline (found ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`,
      'Baseline the database: for each migration already reflected in it, run resolve --applied <name>; then deploy.',
    );
  }
  await createLedgerTable(client);
  return undefined;
}
