import { deploy } from '../../src/migrations/deploy.js';
import { resolveApplied, resolveRolledBack } from '../../src/migrations/resolve.js';
import { getStatus } from '../../src/migrations/get-status.js';
import { checksumOf } from '../../src/migrations/checksum.js';
import { ManualClock } from '../../src/base/clock.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeFolder, writeMigration } from './folder-helpers.js';

interface Row {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
  applied_steps_count: number;
}

describe('resolve', () => {
  let db: TestDatabase;
  let f: { dir: string; cleanup: () => void };
  beforeEach(async () => {
    db = await createTestDatabase('resolve');
    f = makeFolder({ '1_a': 'CREATE TABLE a (id int);', '2_bad': 'CREATE TABLE b (id int);\nSELECT 1/0;' });
  });
  afterEach(async () => {
    await db.drop();
    f.cleanup();
  });
  const rows = async (): Promise<Row[]> =>
    (await db.query<Row>('SELECT * FROM _prisma_migrations ORDER BY started_at, finished_at NULLS FIRST'))
      .rows;
  const opts = (name: string) => ({ databaseUrl: db.url, migrationsDir: f.dir, name });

  it('--rolled-back marks the failed row, and the next deploy applies the fixed file with a new row', async () => {
    expect((await deploy({ databaseUrl: db.url, migrationsDir: f.dir })).outcome).toBe('failed');
    const r = await resolveRolledBack(opts('2_bad'));
    expect(r.outcome).toBe('resolved');
    expect(r.message).toBe('Migration 2_bad marked as rolled back.');
    const failedRow = (await rows()).find((x) => x.migration_name === '2_bad')!;
    expect(failedRow.rolled_back_at).not.toBeNull();
    expect(failedRow.finished_at).toBeNull();
    const s = await getStatus({ databaseUrl: db.url, migrationsDir: f.dir });
    expect(s.migrations.find((m) => m.name === '2_bad')?.state).toBe('rolled_back');
    expect(s.toApply).toEqual(['2_bad']);
    writeMigration(f.dir, '2_bad', 'CREATE TABLE b (id int);');
    const again = await deploy({ databaseUrl: db.url, migrationsDir: f.dir });
    expect(again.applied).toEqual(['2_bad']);
    const named = (await rows()).filter((x) => x.migration_name === '2_bad');
    expect(named).toHaveLength(2);
    // One row is finished, the other was already rolled back: Prisma succeeds without changing anything.
    const noop = await resolveRolledBack(opts('2_bad'));
    expect([noop.outcome, noop.rowsRolledBack]).toEqual(['resolved', []]);
  });

  it('--applied rolls back the failed row and inserts a finished row with logs "" and steps 0', async () => {
    await deploy({ databaseUrl: db.url, migrationsDir: f.dir });
    const clock = new ManualClock(Date.parse('2024-06-01T12:00:00.123Z'));
    const r = await resolveApplied({ ...opts('2_bad'), clock });
    expect(r.outcome).toBe('resolved');
    expect(r.message).toBe('Migration 2_bad marked as applied.');
    const named = (await rows()).filter((x) => x.migration_name === '2_bad');
    expect(named).toHaveLength(2);
    const old = named.find((x) => x.finished_at === null);
    const added = named.find((x) => x.finished_at !== null);
    expect(old?.rolled_back_at?.toISOString()).toBe('2024-06-01T12:00:00.123Z');
    expect(added?.id).toBe(r.insertedRowId);
    expect(added?.logs).toBe('');
    expect(added?.applied_steps_count).toBe(0);
    expect(added?.started_at.toISOString()).toBe('2024-06-01T12:00:00.123Z');
    expect(added?.finished_at?.toISOString()).toBe('2024-06-01T12:00:00.123Z');
    expect(added?.checksum).toBe(checksumOf('CREATE TABLE b (id int);\nSELECT 1/0;'));
    expect((await db.query(`SELECT to_regclass('b') AS t`)).rows[0]?.t).toBeNull();
    expect((await getStatus({ databaseUrl: db.url, migrationsDir: f.dir })).upToDate).toBe(true);
    expect((await resolveApplied(opts('2_bad'))).refusal?.code).toBe('P3008');
  });

  it('--applied baselines a database without a ledger (creates the table, no emptiness check)', async () => {
    await db.query('CREATE TABLE a (id int)');
    expect((await deploy({ databaseUrl: db.url, migrationsDir: f.dir })).refusal?.code).toBe('P3005');
    expect((await resolveApplied(opts('1_a'))).outcome).toBe('resolved');
    expect((await rows()).map((x) => x.migration_name)).toEqual(['1_a']);
  });

  it('refuses unknown names: P3017 for --applied, P3011 for --rolled-back, and no ledger', async () => {
    expect((await resolveRolledBack(opts('1_a'))).refusal?.code).toBe('no_ledger');
    await deploy({ databaseUrl: db.url, migrationsDir: f.dir });
    expect((await resolveApplied(opts('1'))).refusal?.code).toBe('P3017');
    expect((await resolveApplied(opts('9_nope'))).refusal?.code).toBe('P3017');
    expect((await resolveRolledBack(opts('9_nope'))).refusal?.code).toBe('P3011');
    expect((await resolveRolledBack(opts('1_a'))).refusal?.code).toBe('P3012');
  });
});
