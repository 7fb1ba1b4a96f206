import pg from 'pg';
import { getStatus } from '../../src/migrations/get-status.js';
import { computeStatus } from '../../src/migrations/status.js';
import { readMigrationsFolder } from '../../src/migrations/folder.js';
import { checksumOf } from '../../src/migrations/checksum.js';
import { DrawbridgeError } from '../../src/base/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeFolder } from './folder-helpers.js';

const DDL =
  'CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)';

async function row(
  db: TestDatabase,
  name: string,
  checksum: string,
  opts: { finished?: boolean; rolledBack?: boolean; at: string; logs?: string },
): Promise<void> {
  await db.query(
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs, applied_steps_count)
     VALUES (gen_random_uuid()::text, $1, $2, $3::timestamptz, CASE WHEN $4 THEN $3::timestamptz END, CASE WHEN $5 THEN $3::timestamptz END, $6, CASE WHEN $4 THEN 1 ELSE 0 END)`,
    [checksum, name, opts.at, opts.finished ?? false, opts.rolledBack ?? false, opts.logs ?? null],
  );
}

describe('status', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('status');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reports a fresh database with no ledger: everything pending, not up to date', async () => {
    const f = makeFolder({ '20240101000000_init': 'CREATE TABLE a (id int);' });
    try {
      const s = await getStatus({ databaseUrl: db.url, migrationsDir: f.dir });
      expect(s.hasLedger).toBe(false);
      expect(s.migrations.map((m) => [m.name, m.state])).toEqual([['20240101000000_init', 'pending']]);
      expect(s.toApply).toEqual(['20240101000000_init']);
      expect(s.upToDate).toBe(false);
      expect(s.blocking).toEqual([]);
      expect(s.server?.versionNum).toBeGreaterThanOrEqual(150000);
    } finally {
      f.cleanup();
    }
  });

  it('classifies applied, pending, failed, rolled back, edited and missing-from-folder', async () => {
    const sql = {
      a: 'CREATE TABLE a (id int);',
      b: 'CREATE TABLE b (id int);',
      c: 'SELECT 1;',
      d: 'SELECT 2;',
      e: 'SELECT 3;',
    };
    const f = makeFolder({ '1_a': sql.a, '2_b': sql.b, '3_c': sql.c, '4_d': sql.d, '5_e': sql.e });
    try {
      await db.query(DDL);
      await row(db, '1_a', checksumOf(sql.a), { finished: true, at: '2024-01-01T00:00:00Z' });
      await row(db, '2_b', checksumOf('CREATE TABLE b (id bigint);'), {
        finished: true,
        at: '2024-01-01T00:00:01Z',
      });
      await row(db, '3_c', checksumOf(sql.c), { rolledBack: true, at: '2024-01-01T00:00:02Z' });
      await row(db, '4_d', checksumOf(sql.d), {
        at: '2024-01-01T00:00:03Z',
        logs: 'A migration failed to apply.',
      });
      await row(db, '0_gone', checksumOf('x'), { finished: true, at: '2023-12-31T00:00:00Z' });
      const s = await getStatus({ databaseUrl: db.url, migrationsDir: f.dir });
      expect(s.migrations.map((m) => [m.name, m.state])).toEqual([
        ['1_a', 'applied'],
        ['2_b', 'edited'],
        ['3_c', 'rolled_back'],
        ['4_d', 'failed'],
        ['5_e', 'pending'],
        ['0_gone', 'missing_from_folder'],
      ]);
      expect(s.counts).toEqual({
        applied: 1,
        pending: 1,
        failed: 1,
        rolled_back: 1,
        edited: 1,
        missing_from_folder: 1,
      });
      expect(s.toApply).toEqual(['3_c', '5_e']);
      expect(s.migrations[3]?.logs).toBe('A migration failed to apply.');
      const p3009 = s.blocking.find((b) => b.code === 'P3009');
      expect(p3009?.message).toContain('The `4_d` migration started at 2024-01-01 00:00:03 UTC failed');
      expect(p3009?.hint).toContain('resolve --rolled-back "4_d"');
      expect(s.warnings.map((w) => w.code).sort()).toEqual(['edited', 'missing_from_folder', 'rolled_back']);
      expect(s.upToDate).toBe(false);
    } finally {
      f.cleanup();
      await db.query('DROP TABLE _prisma_migrations');
    }
  });

  it('is up to date by Prisma rules when only DB-only rows and edits remain', async () => {
    const f = makeFolder({ '1_a': 'SELECT 1;' });
    const folder = await readMigrationsFolder(f.dir);
    f.cleanup();
    const at = new Date('2024-01-01T00:00:00Z');
    const base = { finishedAt: at, logs: null, rolledBackAt: null, startedAt: at, appliedStepsCount: 1 };
    const s = computeStatus(folder, [
      { ...base, id: '1', checksum: checksumOf('SELECT 2;'), migrationName: '1_a' },
      { ...base, id: '2', checksum: checksumOf('x'), migrationName: '0_other' },
    ]);
    expect(s.upToDate).toBe(true);
    expect(s.counts.edited).toBe(1);
    expect(computeStatus(folder, null).upToDate).toBe(false);
  });

  it('reports P3005, P3019 and P3015 as blocking', async () => {
    const f = makeFolder({ '1_a': 'SELECT 1;', '2_nofile': null }, 'provider = "mysql"\n');
    try {
      await db.query('CREATE TABLE users (id int)');
      const s = await getStatus({ databaseUrl: db.url, migrationsDir: f.dir });
      expect(s.blocking.map((b) => b.code)).toEqual(['P3019', 'P3005', 'P3015']);
      expect(s.blocking[1]?.hint).toContain('resolve --applied');
    } finally {
      f.cleanup();
      await db.query('DROP TABLE users');
    }
  });

  it('names the session holding advisory lock 72707369', async () => {
    const f = makeFolder({});
    const holder = new pg.Client({ connectionString: db.url, application_name: 'prisma-standin-holder' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(72707369)');
      await holder.query('SELECT 42 AS last_query');
      const s = await getStatus({ databaseUrl: db.url, migrationsDir: f.dir });
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      expect(s.lockHolder?.pid).toBe(pid);
      expect(s.lockHolder?.applicationName).toBe('prisma-standin-holder');
      expect(s.lockHolder?.clientAddr).toBe('127.0.0.1');
      expect(s.lockHolder?.state).toBe('idle');
      expect(s.lockHolder?.durationMs).toBeGreaterThanOrEqual(0);
      expect(s.warnings.some((w) => w.code === 'lock_held')).toBe(true);
    } finally {
      await holder.end();
      f.cleanup();
    }
  });

  it('reads the schema named by the URL', async () => {
    const f = makeFolder({ '1_a': 'SELECT 1;' });
    try {
      await db.query('CREATE SCHEMA app');
      await db.query(DDL.replace('_prisma_migrations', 'app._prisma_migrations'));
      await db.query(
        `INSERT INTO app._prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count) VALUES ('x', $1, '1_a', now(), 1)`,
        [checksumOf('SELECT 1;')],
      );
      const s = await getStatus({ databaseUrl: `${db.url}?schema=app`, migrationsDir: f.dir });
      expect(s.migrations.map((m) => m.state)).toEqual(['applied']);
      expect(s.upToDate).toBe(true);
    } finally {
      f.cleanup();
    }
  });

  it('turns a connection failure into a DrawbridgeError naming host:port without the password', async () => {
    const bad = db.url.replace(/:(\d+)\//, ':1/');
    const password = new URL(db.url).password;
    const err = await getStatus({ databaseUrl: bad, migrationsDir: '/nonexistent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect((err as DrawbridgeError).code).toBe('P1001');
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain(password);
    const wrongPw = db.url.replace(password, 'not-the-password');
    const err2 = (await getStatus({ databaseUrl: wrongPw, migrationsDir: '/nonexistent' }).catch(
      (e: unknown) => e,
    )) as DrawbridgeError;
    expect(err2.code).toBe('P1000');
    expect(err2.message).not.toContain('not-the-password');
  });
});
