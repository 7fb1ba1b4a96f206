import { createTestDatabase, type TestDatabase } from './support/postgres.js';

describe('test harness', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('harness');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('gives each test file a real, empty PostgreSQL 15 database with a password', async () => {
    const res = await db.query<{ v: string; n: string }>(
      `SELECT current_setting('server_version_num') AS v, (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')::text AS n`,
    );
    expect(Number(res.rows[0]?.v)).toBeGreaterThanOrEqual(150000);
    expect(res.rows[0]?.n).toBe('0');
    expect(db.url).toMatch(/^postgres:\/\/postgres:[0-9a-f]{24}@127\.0\.0\.1:\d+\//);
  });
});
