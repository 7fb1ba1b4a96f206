/**
 * An `atomic` file travels with its BEGIN in one message (one round trip fewer than Prisma's shape).
 * What that must not change: the failed row's P3018 logs point at the failing line of the file (not
 * of the message), a syntax error anywhere runs nothing, and the failure is rolled back before the
 * row's logs are written (they could not be, in an aborted transaction).
 */
import { deploy } from '../../src/migrations/deploy.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeFolder } from './folder-helpers.js';

describe('an atomic file sent with its BEGIN', () => {
  let db: TestDatabase;
  const cleanups: (() => void)[] = [];
  beforeEach(async () => {
    db = await createTestDatabase('atomic');
  });
  afterEach(async () => {
    await db.drop();
    cleanups.splice(0).forEach((c) => c());
  });
  const folder = (content: Record<string, string>): string => {
    const f = makeFolder(content);
    cleanups.push(f.cleanup);
    return f.dir;
  };
  const logsOf = async (name: string): Promise<string> =>
    (
      await db.query<{ logs: string }>('SELECT logs FROM "_prisma_migrations" WHERE migration_name = $1', [
        name,
      ])
    ).rows[0]?.logs ?? '';

  it('marks the failing line of the file itself in the P3018 logs', async () => {
    const dir = folder({
      '20240101000000_bad': 'CREATE TABLE "A" (id int);\nSELECT * FROM nope;\nCREATE TABLE "B" (id int);\n',
    });
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.outcome).toBe('failed');
    const logs = await logsOf('20240101000000_bad');
    expect(logs).toContain('relation "nope" does not exist');
    // The failing word ends its line: a position counted from the message would mark the next one.
    expect(logs).toMatch(/ {2}1> SELECT \* FROM nope;\n*$/);
    expect(logs).not.toContain('BEGIN');
    // Nothing of the file committed: the whole file was one transaction.
    const { rows } = await db.query(`SELECT to_regclass('public."A"') AS a`);
    expect(rows[0]?.a).toBeNull();
  });

  it('runs nothing of a file with a syntax error, and the next deploy sees it failed', async () => {
    const dir = folder({
      '20240101000000_ok': 'CREATE TABLE "Ok" (id int);\n',
      '20240102000000_typo': 'CREATE TABLE "T" (id int);\nSELECT 1 FROM;\nSELECT 2;\n',
    });
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.outcome).toBe('failed');
    expect(r.applied).toEqual(['20240101000000_ok']);
    expect(await logsOf('20240102000000_typo')).toMatch(/ {2}1> SELECT 1 FROM;\n*$/);
    const { rows } = await db.query(`SELECT to_regclass('public."T"') AS t`);
    expect(rows[0]?.t).toBeNull();
    const again = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(again.outcome).toBe('refused');
  });
});
