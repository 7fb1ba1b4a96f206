/**
 * One fresh database per test file on the cluster that the jest global set-up started.
 *
 *   const db = await createTestDatabase();   // in beforeAll
 *   ... db.url ...
 *   await db.drop();                          // in afterAll
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseUrl, type ClusterInfo } from './pg-cluster.js';

export interface TestDatabase {
  name: string;
  url: string;
  cluster: ClusterInfo;
  /** Runs SQL on this database with a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export function testCluster(): ClusterInfo {
  const raw = process.env.DRAWBRIDGE_TEST_PG;
  if (!raw)
    throw new Error(
      'DRAWBRIDGE_TEST_PG is not set: run tests through jest (its global set-up starts PostgreSQL)',
    );
  return JSON.parse(raw) as ClusterInfo;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const cluster = testCluster();
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  await withClient(cluster.adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(cluster, name);
  return {
    name,
    url,
    cluster,
    query: (sql, params) => withClient(url, (c) => c.query(sql, params)),
    drop: () =>
      withClient(cluster.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
