/**
 * A configured environment for CLI processes: a fresh database, a folder of two plain migrations
 * (`20250101000000_init` creates "Item", `20250102000000_more` adds a column) and a drawbridge.yml
 * naming it `staging`, all under `work`. `env` is what a `drawbridge` process needs to find them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface CliEnvironment {
  readonly db: TestDatabase;
  readonly env: Record<string, string>;
}

export async function twoMigrationEnvironment(work: string, label: string): Promise<CliEnvironment> {
  const db = await createTestDatabase(label);
  const migrations = join(work, 'migrations');
  for (const [name, sql] of [
    ['20250101000000_init', 'CREATE TABLE "Item" (id SERIAL PRIMARY KEY, name TEXT NOT NULL);\n'],
    ['20250102000000_more', 'ALTER TABLE "Item" ADD COLUMN note TEXT;\n'],
  ] as const) {
    mkdirSync(join(migrations, name), { recursive: true });
    writeFileSync(join(migrations, name, 'migration.sql'), sql);
  }
  const urlEnv = `${label.toUpperCase()}_DATABASE_URL`;
  writeFileSync(
    join(work, 'drawbridge.yml'),
    `slack: { channel: C0MIGRATE1 }\nenvironments:\n  staging:\n    database: { urlEnv: ${urlEnv} }\n    migrations: ${migrations}\n`,
  );
  return {
    db,
    env: {
      DRAWBRIDGE_CONFIG: join(work, 'drawbridge.yml'),
      DRAWBRIDGE_DATA_DIR: join(work, 'data'),
      [urlEnv]: db.url,
    },
  };
}
