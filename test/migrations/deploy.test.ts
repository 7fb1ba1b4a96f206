import pg from 'pg';
import { deploy, type DeployEvent } from '../../src/migrations/deploy.js';
import { getStatus } from '../../src/migrations/get-status.js';
import { checksumOf } from '../../src/migrations/checksum.js';
import { P3018_HEAD } from '../../src/migrations/failure-logs.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeFolder, writeMigration } from './folder-helpers.js';

interface Row {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
  applied_steps_count: number;
}

describe('native deploy', () => {
  let db: TestDatabase;
  const cleanups: (() => void)[] = [];
  beforeEach(async () => {
    db = await createTestDatabase('deploy');
  });
  afterEach(async () => {
    await db.drop();
    cleanups.splice(0).forEach((c) => c());
  });
  const folder = (content: Record<string, string | null>): string => {
    const f = makeFolder(content);
    cleanups.push(f.cleanup);
    return f.dir;
  };
  const rows = async (table = '_prisma_migrations'): Promise<Row[]> =>
    (await db.query<Row>(`SELECT * FROM ${table} ORDER BY started_at`)).rows;

  it('applies pending files, writes Prisma rows, and status (Prisma rules) is up to date', async () => {
    const sql = {
      a: 'CREATE TABLE "User" (id serial PRIMARY KEY, email text);',
      b: 'ALTER TABLE "User" ADD COLUMN name text',
      c: '-- only a comment\n',
    };
    const dir = folder({
      '20240101000000_init': sql.a,
      '20240102000000_name': sql.b,
      '20240103000000_empty': sql.c,
    });
    const events: DeployEvent[] = [];
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir, onProgress: (e) => events.push(e) });
    expect(r.outcome).toBe('succeeded');
    expect(r.applied).toEqual(['20240101000000_init', '20240102000000_name', '20240103000000_empty']);
    const rs = await rows();
    expect(
      rs.map((x) => [x.migration_name, x.checksum, x.applied_steps_count, x.logs, x.rolled_back_at]),
    ).toEqual([
      ['20240101000000_init', checksumOf(sql.a), 1, null, null],
      ['20240102000000_name', checksumOf(sql.b), 1, null, null],
      ['20240103000000_empty', checksumOf(sql.c), 1, null, null],
    ]);
    for (const x of rs) {
      expect(x.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(x.finished_at!.getTime()).toBeGreaterThanOrEqual(x.started_at.getTime());
    }
    const cols = await db.query(
      `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((c) => c.column_name)).toEqual([
      'id',
      'checksum',
      'finished_at',
      'migration_name',
      'logs',
      'rolled_back_at',
      'started_at',
      'applied_steps_count',
    ]);
    expect(events.map((e) => e.kind)).toEqual([
      'lock:acquired',
      ...Array(3).fill(['migration:started', 'migration:finished']).flat(),
    ]);
    const status = await getStatus({ databaseUrl: db.url, migrationsDir: dir });
    expect(status.upToDate).toBe(true);
    expect(status.counts.applied).toBe(3);
    expect((await deploy({ databaseUrl: db.url, migrationsDir: dir })).outcome).toBe('nothing_to_apply');
  });

  it('leaves the schema unchanged and a failed row with P3018 logs when a file fails midway, then refuses (P3009)', async () => {
    const dir = folder({
      '1_ok': 'CREATE TABLE a (id int);',
      '2_bad': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nSELECT 1/0;\n',
      '3_later': 'CREATE TABLE c (id int);',
    });
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.outcome).toBe('failed');
    expect(r.applied).toEqual(['1_ok']);
    expect(r.failure?.sqlState).toBe('22012');
    const tables = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.rows.map((t) => t.tablename)).toEqual(['_prisma_migrations', 'a']);
    const bad = (await rows()).find((x) => x.migration_name === '2_bad')!;
    expect(bad.finished_at).toBeNull();
    expect(bad.applied_steps_count).toBe(0);
    expect(bad.logs).toContain(
      `${P3018_HEAD}\n\nMigration name: 2_bad\n\nDatabase error code: 22012\n\nDatabase error:\nERROR: division by zero`,
    );
    const again = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(again.outcome).toBe('refused');
    expect(again.refusal?.code).toBe('P3009');
    expect(again.refusal?.message).toContain('The `2_bad` migration started at');
  });

  it('retries a file that hits lock_timeout while a real transaction holds the table, then succeeds', async () => {
    await db.query('CREATE TABLE busy (id int)');
    await db.query(
      'CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)',
    );
    const dir = folder({ '1_alter': 'ALTER TABLE busy ADD COLUMN note text;' });
    const holder = new pg.Client({ connectionString: db.url, application_name: 'long-reader' });
    await holder.connect();
    const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM busy');
    const events: DeployEvent[] = [];
    let released = false;
    const r = await deploy({
      databaseUrl: db.url,
      migrationsDir: dir,
      lockTimeoutMs: 300,
      lockRetries: 20,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 200,
      onProgress: (e) => {
        events.push(e);
        if (e.kind === 'lock:retry' && e.attempt >= 2 && !released) {
          released = true;
          void holder.query('COMMIT');
        }
      },
    });
    await holder.end();
    expect(r.outcome).toBe('succeeded');
    const retries = events.filter(
      (e): e is Extract<DeployEvent, { kind: 'lock:retry' }> => e.kind === 'lock:retry',
    );
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]?.blockers.map((b) => [b.pid, b.applicationName, b.query])).toEqual([
      [holderPid, 'long-reader', 'SELECT count(*) FROM busy'],
    ]);
    const fin = events.find((e) => e.kind === 'migration:finished');
    expect(fin && fin.kind === 'migration:finished' && fin.attempts).toBeGreaterThanOrEqual(3);
    expect((await rows()).map((x) => [x.migration_name, x.applied_steps_count])).toEqual([['1_alter', 1]]);
  });

  it('applies a CONCURRENTLY file and a mixed file statement by statement, outside any transaction block', async () => {
    const dir = folder({
      '1_table':
        'CREATE TABLE t (id int, email text);\nINSERT INTO t SELECT g, g::text FROM generate_series(1, 100) g;',
      '2_cic': '-- one statement only\nCREATE INDEX CONCURRENTLY "t_email_idx" ON "t"("email");\n',
      '3_mixed':
        'ALTER TABLE t ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY t_note_idx ON t (note);\nDROP INDEX CONCURRENTLY t_email_idx;\n',
    });
    const events: DeployEvent[] = [];
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir, onProgress: (e) => events.push(e) });
    expect(r.outcome).toBe('succeeded');
    const modes = events.flatMap((e) => (e.kind === 'migration:started' ? [[e.name, e.mode]] : []));
    expect(modes).toEqual([
      ['1_table', 'script'],
      ['2_cic', 'statements'],
      ['3_mixed', 'statements'],
    ]);
    expect(events.filter((e) => e.kind === 'statement:started')).toHaveLength(4);
    const idx = await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1`);
    expect(idx.rows.map((x) => x.indexname)).toEqual(['t_note_idx']);
  });

  it('reports the INVALID index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves, with its DROP statement', async () => {
    const dir = folder({
      '1_table': 'CREATE TABLE d (v int);\nINSERT INTO d VALUES (1), (1);',
      '2_unique': 'CREATE UNIQUE INDEX CONCURRENTLY d_v_key ON d (v);',
    });
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.outcome).toBe('failed');
    expect(r.failure?.sqlState).toBe('23505');
    expect(r.failure?.invalidIndexes).toEqual([
      {
        schema: 'public',
        name: 'd_v_key',
        table: 'd',
        dropStatement: 'DROP INDEX CONCURRENTLY IF EXISTS "public"."d_v_key";',
      },
    ]);
  });

  it('refuses with P3005 on a non-empty database without a ledger, and creates nothing', async () => {
    await db.query('CREATE TABLE legacy (id int)');
    const r = await deploy({ databaseUrl: db.url, migrationsDir: folder({ '1_a': 'SELECT 1;' }) });
    expect(r.outcome).toBe('refused');
    expect(r.refusal?.code).toBe('P3005');
    expect((await db.query(`SELECT to_regclass('_prisma_migrations') AS t`)).rows[0]?.t).toBeNull();
  });

  it('refuses with P1002 naming the holder when the advisory lock stays taken past lockWaitMs', async () => {
    const holder = new pg.Client({ connectionString: db.url, application_name: 'other-deployer' });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(72707369)');
    try {
      const r = await deploy({
        databaseUrl: db.url,
        migrationsDir: folder({ '1_a': 'SELECT 1;' }),
        lockWaitMs: 400,
      });
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.code).toBe('P1002');
      expect(r.refusal?.message).toContain('other-deployer');
    } finally {
      await holder.end();
    }
  });

  it('cancels the running statement when aborted and leaves the row failed', async () => {
    const dir = folder({ '1_slow': 'CREATE TABLE s (id int);\nSELECT pg_sleep(30);' });
    const ac = new AbortController();
    const r = await deploy({
      databaseUrl: db.url,
      migrationsDir: dir,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.kind === 'migration:started') setTimeout(() => ac.abort(new Error('operator cancelled')), 300);
      },
    });
    expect(r.outcome).toBe('cancelled');
    expect(r.failure?.sqlState).toBe('57014');
    expect((await db.query(`SELECT to_regclass('s') AS t`)).rows[0]?.t).toBeNull();
    expect((await rows())[0]?.finished_at).toBeNull();
  });

  it('keeps the ledger in the schema named by the URL', async () => {
    const dir = folder({ '1_a': 'CREATE TABLE inside (id int);' });
    const r = await deploy({ databaseUrl: `${db.url}?schema=tenant`, migrationsDir: dir });
    expect(r.outcome).toBe('succeeded');
    expect((await rows('tenant._prisma_migrations')).map((x) => x.migration_name)).toEqual(['1_a']);
    expect((await db.query(`SELECT to_regclass('tenant.inside') AS t`)).rows[0]?.t).toBe('tenant.inside');
  });

  it('applies a folder migration older than the applied ones (Prisma decides by name only)', async () => {
    const dir = folder({ '1_a': 'CREATE TABLE a (id int);' });
    await deploy({ databaseUrl: db.url, migrationsDir: dir });
    writeMigration(dir, '0_before', 'CREATE TABLE z (id int);');
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.applied).toEqual(['0_before']);
  });
});
