/**
 * `down.sql` beside a migration's `migration.sql` (Prisma's documented way to prepare a down migration
 * with `migrate diff`): reading it, running it the way `prisma db execute --file` does (the whole file
 * as one simple query, so PostgreSQL runs it in one implicit transaction), and comparing the schema
 * after it with the one before its migration, object by object, with the drift check's catalog reader
 * and comparison (core/shadow: `readSchema`, `diffSchemas`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { readSchema } from '../shadow/read-schema.js';
import { diffSchemas, type DriftItem, type SchemaSnapshot } from '../shadow/schema-diff.js';

/** The `down.sql` of a migration, or undefined when it has none. */
export async function readDownSql(migrationsDir: string, name: string): Promise<string | undefined> {
  return readFile(join(migrationsDir, name, 'down.sql'), 'utf8').catch(() => undefined);
}

/** Runs a down script on `url` as one simple query; throws the server's error. */
export async function runDownScript(url: string, sql: string, applicationName: string): Promise<void> {
  const client = await openSession(parseDatabaseUrl(url, applicationName));
  try {
    await client.query(sql);
  } finally {
    await closeSession(client);
  }
}

/** The schema of a database from its catalogs (the drift check's reader, core/shadow/read-schema.ts). */
export async function readSchemaAt(url: string): Promise<SchemaSnapshot> {
  const client = await openSession(parseDatabaseUrl(url, 'drawbridge rehearsal schema'));
  try {
    return await readSchema(client);
  } finally {
    await closeSession(client);
  }
}

const WORDS: Record<DriftItem['change'], string> = {
  extra: 'is still there after down.sql',
  missing: 'is gone after down.sql but existed before the migration',
  differs: 'differs from before the migration',
};

/** How the schema after a down.sql differs from the one before its migration, at most `limit`. Pure. */
export function schemaDifferences(before: SchemaSnapshot, afterDown: SchemaSnapshot, limit = 6): string[] {
  return diffSchemas(afterDown, before, 'after down.sql')
    .filter((d) => d.kind !== 'migration')
    .slice(0, limit)
    .map((d) => `${d.kind} \`${d.name}\` ${WORDS[d.change]}`);
}
