/**
 * The impact estimate against a real PostgreSQL 15: a 10-row and a ~500k-row table, and a real open
 * transaction on a second connection that holds a lock the migration would wait for.
 */
import pg from 'pg';
import { reviewMigrations } from '../../../src/migrations/review/index.js';
import type { MigrationImpact } from '../../../src/migrations/review/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('impact estimate', () => {
  let db: TestDatabase;
  let holder: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('review_impact');
    await db.query(`CREATE TABLE small (id int PRIMARY KEY, note text);
      INSERT INTO small SELECT g, 'row ' || g FROM generate_series(1, 10) g;
      CREATE TABLE big (id int PRIMARY KEY, payload text);
      INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 500000) g;
      CREATE TABLE never_analyzed (id int);
      ANALYZE small; ANALYZE big;`);
    await db.query('INSERT INTO never_analyzed SELECT generate_series(1, 42)');
    holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
  });

  afterAll(async () => {
    await holder.end();
    await db.drop();
  });

  const impactOf = async (sql: string): Promise<MigrationImpact> => {
    const report = await reviewMigrations([{ name: '20240101000000_m', sql }], { databaseUrl: db.url });
    if (!report.impact.available) throw new Error(report.impact.reason);
    const m = report.impact.migrations[0];
    if (!m) throw new Error('no migration impact');
    return m;
  };

  it('classes a rewrite of a small table as quick and of a large table as slow, with sizes', async () => {
    const small = await impactOf('ALTER TABLE small ALTER COLUMN note TYPE varchar(200);');
    expect(small.class).toBe('quick');
    expect(small.tables[0]).toMatchObject({
      table: 'small',
      exists: true,
      rows: 10,
      rowsSource: 'statistics',
    });
    expect(small.tables[0]?.touches[0]).toMatchObject({
      effect: 'rewrite',
      lock: 'ACCESS EXCLUSIVE',
      line: 1,
    });

    const big = await impactOf('ALTER TABLE big ALTER COLUMN payload TYPE varchar(200);');
    expect(big.class).toBe('slow');
    const t = big.tables[0];
    expect(t?.rows).toBeGreaterThan(450000);
    expect(t?.rows).toBeLessThan(550000);
    expect(t?.totalBytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(big.reasoning.join('\n')).toMatch(/full rewrite of big .*under ACCESS EXCLUSIVE/);
    expect(big.reasoning.at(-1)).toMatch(/^Class slow: the work is proportional to table size/);
  });

  it('classes catalog-only changes on a large table as quick', async () => {
    const m = await impactOf('ALTER TABLE big ADD COLUMN flag boolean DEFAULT false;');
    expect(m.class).toBe('quick');
    expect(m.tables[0]?.touches[0]?.effect).toBe('metadata');
  });

  it('falls back to a bounded exact count for a table never analyzed, and skips tables created in the file', async () => {
    const m = await impactOf(
      'CREATE TABLE fresh (id int);\nCREATE INDEX fresh_idx ON fresh (id);\nCREATE INDEX na_idx ON never_analyzed (id);',
    );
    expect(m.tables.map((t) => t.table)).toEqual(['never_analyzed']);
    expect(m.tables[0]).toMatchObject({ rows: 42, rowsSource: 'count' });
  });

  it('reports a table that a pending migration creates as not existing yet', async () => {
    const m = await impactOf('CREATE INDEX later_idx ON created_later (id);');
    expect(m.tables[0]).toMatchObject({ table: 'created_later', exists: false });
    expect(m.class).toBe('quick');
  });

  it('names an open transaction that would block the statement', async () => {
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM small');
    try {
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const blocked = await impactOf('ALTER TABLE small ADD COLUMN extra int;');
      const t = blocked.tables[0];
      expect(t?.blockers).toHaveLength(1);
      expect(t?.blockers[0]).toMatchObject({ pid, mode: 'AccessShareLock', state: 'idle in transaction' });
      expect(t?.blockers[0]?.query).toContain('pg_backend_pid');
      expect(t?.blockers[0]?.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(blocked.class).toBe('slow');
      expect(blocked.reasoning.join('\n')).toContain(`pid ${pid}`);

      // A CREATE INDEX (SHARE) does not conflict with a reader's ACCESS SHARE lock.
      const notBlocked = await impactOf('CREATE INDEX small_note_idx ON small (note);');
      expect(notBlocked.tables[0]?.blockers).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
    }
  });

  it('reads through a read-only session', async () => {
    const report = await reviewMigrations([{ name: 'm', sql: 'DROP TABLE small;' }], { databaseUrl: db.url });
    expect(report.impact.available).toBe(true);
    const still = await db.query('SELECT count(*)::int AS n FROM small');
    expect(still.rows[0]?.n).toBe(10);
  });

  it('says the estimate is unavailable without a database, or when the database cannot be reached', async () => {
    const none = await reviewMigrations([{ name: 'm', sql: 'ALTER TABLE big ADD COLUMN x int;' }]);
    expect(none.impact).toEqual({ available: false, reason: expect.stringContaining('unavailable') });
    const bad = new URL(db.url);
    bad.password = 'wrong-password-123456';
    const unreachable = await reviewMigrations([{ name: 'm', sql: 'ALTER TABLE big ADD COLUMN x int;' }], {
      databaseUrl: bad.toString(),
    });
    expect(unreachable.impact.available).toBe(false);
    expect(JSON.stringify(unreachable)).not.toContain('wrong-password-123456');
    expect(unreachable.results[0]?.findings).toEqual([]);
  });
});
