/**
 * One database read of the watch against a real PostgreSQL: the slowest statements come from
 * pg_stat_statements when the extension is installed in the watched database (the test cluster
 * preloads the library), with a note when it is not; the tables and the new index are read too.
 */
import { readDatabase } from '../../../src/core/monitor/read-database.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

describe('readDatabase', () => {
  let withExt: TestDatabase;
  let without: TestDatabase;

  beforeAll(async () => {
    withExt = await createTestDatabase('watch_pgss');
    without = await createTestDatabase('watch_nopgss');
    for (const db of [withExt, without]) {
      await db.query('CREATE TABLE "Order" (id serial PRIMARY KEY, "userId" int NOT NULL)');
      await db.query('CREATE INDEX "Order_userId_idx" ON "Order" ("userId")');
      await db.query('INSERT INTO "Order" ("userId") SELECT g % 50 FROM generate_series(1, 2000) g');
    }
    await withExt.query('CREATE EXTENSION pg_stat_statements');
    // A statement slow enough to be the slowest of this database.
    await withExt.query('SELECT pg_sleep(0.2), count(*) FROM "Order" WHERE "userId" = 7');
  });

  afterAll(async () => {
    await withExt?.drop();
    await without?.drop();
  });

  const targets = { tables: ['public.Order'], indexes: ['Order_userId_idx'] };

  it('lists the slowest statements of the watched database from pg_stat_statements', async () => {
    const { reading } = await readDatabase(withExt.url, targets, undefined);
    expect(reading.statementsNote).toBeUndefined();
    expect(reading.statements?.length).toBeGreaterThan(0);
    const slowest = reading.statements?.[0];
    expect(slowest?.query).toContain('pg_sleep');
    expect(slowest?.meanMs).toBeGreaterThanOrEqual(200);
    expect(slowest?.calls).toBeGreaterThanOrEqual(1);
  });

  it('says why when the extension is not installed in the watched database', async () => {
    const { reading } = await readDatabase(without.url, targets, undefined);
    expect(reading.statements).toBeNull();
    expect(reading.statementsNote).toMatch(/pg_stat_statements is not installed/);
  });
});
