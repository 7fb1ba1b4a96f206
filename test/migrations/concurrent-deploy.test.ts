import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeFolder } from './folder-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const child = join(root, 'test', 'fixtures', 'migrations', 'deploy-child.ts');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function runChild(
  url: string,
  dir: string,
  waitMs: number,
): Promise<{ outcome: string; applied: string[]; refusal?: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(tsx, [child, dir, String(waitMs)], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 50_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim()) as { outcome: string; applied: string[]; refusal?: string });
    });
  });
}

describe('two deploys at once from two processes', () => {
  let db: TestDatabase;
  const f = makeFolder({
    '1_a': 'CREATE TABLE a (id int);\nSELECT pg_sleep(1.5);',
    '2_b': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);',
  });
  beforeEach(async () => {
    db = await createTestDatabase('concurrent');
  });
  afterEach(async () => {
    await db.drop();
  });
  afterAll(() => f.cleanup());

  it('one applies, the other waits for the lock and then finds nothing to apply', async () => {
    const results = await Promise.all([runChild(db.url, f.dir, 30_000), runChild(db.url, f.dir, 30_000)]);
    const outcomes = results.map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['nothing_to_apply', 'succeeded']);
    const rows = await db.query(
      'SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY 1 ORDER BY 1',
    );
    expect(rows.rows).toEqual([
      { migration_name: '1_a', n: 1 },
      { migration_name: '2_b', n: 1 },
    ]);
    expect((await db.query('SELECT count(*)::int AS n FROM b')).rows[0]?.n).toBe(1);
  });

  it('with a short lock wait, one applies and the other refuses with P1002', async () => {
    const results = await Promise.all([runChild(db.url, f.dir, 200), runChild(db.url, f.dir, 200)]);
    const byOutcome = results.map((r) => [r.outcome, r.refusal ?? null]).sort();
    expect(byOutcome).toEqual([
      ['refused', 'P1002'],
      ['succeeded', null],
    ]);
    const rows = await db.query('SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(rows.rows[0]?.n).toBe(2);
  });
});
