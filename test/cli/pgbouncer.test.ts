/**
 * A real PgBouncer in transaction pooling mode in front of the test database, with application
 * clients querying through it the whole time. `drawbridge deploy` through the pooled URL is refused,
 * naming pgBouncer and the direct URL; with `database.directUrlEnv` it applies on the direct
 * connection and the pool keeps serving the application: no missing relation, no leftover advisory
 * lock, no leftover session setting. Once with one server connection in the pool, once with three.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../../src/cli/main.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function migrationsFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-pgb-migrations-'));
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  const files: Record<string, string> = {
    '20240101000000_user': 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n',
    '20240102000000_user_name': 'ALTER TABLE "User" ADD COLUMN name text;\n',
  };
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

function writeConfig(dir: string, file: string, database: string): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    [
      'slack: { channel: C0MIGRATE1 }',
      'environments:',
      '  staging:',
      `    database: ${database}`,
      `    migrations: ${migrationsFolder()}`,
      '    lockTimeoutMs: 2000',
      '    statementTimeoutMs: 30000',
      '',
    ].join('\n'),
  );
  return path;
}

/** Application clients querying through the pool until stopped; every error is kept. */
function appTraffic(url: string, clients: number): { stop: () => Promise<string[]>; queries: () => number } {
  const pool = new pg.Pool({ connectionString: url, max: clients });
  const errors: string[] = [];
  let count = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        // The application's own schema, so that the migrations' schema stays Prisma's "empty" one.
        const { rows } = await pool.query<{ lock: string }>(
          "SELECT current_setting('lock_timeout') AS lock, (SELECT count(*) FROM app.items) AS n",
        );
        if (rows[0]?.lock !== '0') errors.push(`lock_timeout is ${rows[0]?.lock} on a pooled connection`);
        count += 1;
      } catch (err) {
        errors.push(String(err));
      }
    }
  };
  const loops = Array.from({ length: clients }, () => loop());
  return {
    queries: () => count,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.end();
      return errors;
    },
  };
}

async function throughPool<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.each([1, 3])(
  'drawbridge deploy behind pgBouncer (transaction pooling, pool size %i)',
  (poolSize) => {
    let db: TestDatabase;
    let bouncer: PgBouncer;
    let dir: string;

    beforeAll(async () => {
      db = await createTestDatabase(`pgb${poolSize}`);
      await db.query(
        'CREATE SCHEMA app; CREATE TABLE app.items (id int); INSERT INTO app.items VALUES (1), (2)',
      );
      bouncer = await startPgBouncer(db.cluster, { poolMode: 'transaction', poolSize });
      dir = mkdtempSync(join(tmpdir(), 'drawbridge-pgb-'));
      process.env.DRAWBRIDGE_DATA_DIR = join(dir, 'data');
      process.env.PGB_POOLED_URL = bouncer.url(db.name);
      process.env.PGB_MARKED_URL = `${db.url}?pgbouncer=true`;
      process.env.PGB_DIRECT_URL = db.url;
    });

    afterAll(async () => {
      await bouncer.stop();
      await db.drop();
    });

    // The control: with one server connection, what one client SETs the next one sees. Only then, so
    // that the RESET is sure to reach the connection the SET went to.
    (poolSize === 1 ? it : it.skip)('really pools: a session SET is seen by the next client', async () => {
      const pooled = bouncer.url(db.name);
      await throughPool(pooled, 'SET lock_timeout = 1234');
      const seen = await throughPool<{ lock: string }>(
        pooled,
        "SELECT current_setting('lock_timeout') AS lock",
      );
      await throughPool(pooled, 'RESET ALL');
      expect(seen[0]?.lock).toBe('1234ms');
    });

    it('refuses to deploy through the pooler without a direct URL, naming pgBouncer', async () => {
      const traffic = appTraffic(bouncer.url(db.name), 4);
      const config = writeConfig(dir, 'pooled.yml', '{ urlEnv: PGB_POOLED_URL }');
      const res = await cli(['deploy', '--env', 'staging', '--yes', '--config', config]);
      const errors = await traffic.stop();
      expect(res.code).not.toBe(0);
      const said = `${res.out}\n${res.err}`;
      expect(said).toContain('pgBouncer');
      expect(said).toContain('directUrlEnv');
      expect(said).not.toContain(db.cluster.password);
      expect(errors).toEqual([]);
      const { rows } = await db.query(`SELECT to_regclass('public."_prisma_migrations"') AS t`);
      expect(rows[0]?.t).toBeNull();
    });

    it('refuses a URL marked pgbouncer=true without connecting through it', async () => {
      const config = writeConfig(dir, 'marked.yml', '{ urlEnv: PGB_MARKED_URL }');
      const res = await cli(['deploy', '--env', 'staging', '--yes', '--config', config]);
      expect(res.code).not.toBe(0);
      expect(`${res.out}\n${res.err}`).toMatch(/pgbouncer=true[\s\S]*directUrlEnv/);
    });

    it('still reads status through the pooler', async () => {
      const config = writeConfig(dir, 'status.yml', '{ urlEnv: PGB_POOLED_URL }');
      const res = await cli(['status', '--env', 'staging', '--json', '--config', config]);
      const parsed = JSON.parse(res.out) as { counts: Record<string, number> };
      expect(parsed.counts).toMatchObject({ pending: 2 });
    });

    // One server connection: a search_path left by status would be seen by the next client.
    (poolSize === 1 ? it : it.skip)(
      'reads status through the pooler with ?schema= and leaves no search_path on the pooled connection',
      async () => {
        const withSchema = new URL(bouncer.url(db.name));
        withSchema.searchParams.set('schema', 'app');
        process.env.PGB_SCHEMA_URL = withSchema.toString();
        const config = writeConfig(dir, 'schema.yml', '{ urlEnv: PGB_SCHEMA_URL }');
        const res = await cli(['status', '--env', 'staging', '--json', '--config', config]);
        expect(res.err).not.toContain('Error');
        const [after] = await throughPool<{ path: string }>(
          bouncer.url(db.name),
          "SELECT current_setting('search_path') AS path",
        );
        expect(after?.path).toBe('"$user", public');
      },
    );

    it('deploys on the direct URL while the application keeps using the pool, leaving nothing behind', async () => {
      const pooled = bouncer.url(db.name);
      const traffic = appTraffic(pooled, 4);
      const config = writeConfig(
        dir,
        'direct.yml',
        '{ urlEnv: PGB_POOLED_URL, directUrlEnv: PGB_DIRECT_URL }',
      );
      const res = await cli(['deploy', '--env', 'staging', '--yes', '--config', config]);
      const errors = await traffic.stop();
      expect({ code: res.code, err: res.err }).toMatchObject({ code: 0 });
      expect(errors).toEqual([]);
      expect(traffic.queries()).toBeGreaterThan(0);

      const applied = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL',
      );
      expect(Number(applied.rows[0]?.n)).toBe(2);
      // Every server connection of the pool, one after another: nothing the deploy set is visible.
      for (let i = 0; i < poolSize + 1; i++) {
        const [settings] = await throughPool<Record<string, string>>(
          pooled,
          `SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt,
                current_setting('client_connection_check_interval') AS check, current_setting('search_path') AS path,
                (SELECT count(*) FROM "User")::text AS users`,
        );
        expect(settings).toEqual({ lock: '0', stmt: '0', check: '0', path: '"$user", public', users: '0' });
      }
      const locks = await db.query<{ n: string }>(
        // This database only: other test files run beside this one and take their own locks.
        `SELECT count(*) AS n FROM pg_locks
          WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(Number(locks.rows[0]?.n)).toBe(0);
    });
  },
);
