/**
 * The `drawbridge` CLI on a real database: status, deploy (with and without --yes), resolve, JSON.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/main.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/slack-status/migrations');
const root = resolve(here, '../..');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('drawbridge CLI', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('cli');
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-cli-'));
    writeFileSync(
      join(dir, 'drawbridge.yml'),
      `slack: { channel: C0MIGRATE1 }\nenvironments:\n  staging:\n    database: { urlEnv: CLI_TEST_DATABASE_URL }\n    migrations: ${fixture}\n    lockTimeoutMs: 2000\n`,
    );
    process.env.DRAWBRIDGE_CONFIG = join(dir, 'drawbridge.yml');
    process.env.DRAWBRIDGE_DATA_DIR = join(dir, 'data');
    process.env.CLI_TEST_DATABASE_URL = db.url;
  });

  afterAll(async () => {
    await db.drop();
  });

  it('shows usage and refuses bad arguments with exit 2', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['status'])).err).toContain('--env <name> is required');
    expect((await cli(['status', '--env', 'nope'])).code).toBe(2);
    expect((await cli(['--help'])).out).toContain('drawbridge deploy --env <name>');
  });

  it('deploys with --yes only, stops at the failing migration, and status says what blocks', async () => {
    const dry = await cli(['deploy', '--env', 'staging']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('5 migration(s) would be applied');
    const { rows } = await db.query(`SELECT to_regclass('public."User"') AS t`);
    expect(rows[0]?.t).toBeNull();

    const run = await cli(['deploy', '--env', 'staging', '--yes']);
    expect(run.code).toBe(1);
    expect(run.err).toContain('[1/5] applying 20240101000000_init');
    expect(run.out).toContain('Migration 20240104000000_bad_backfill failed (P3018, SQLSTATE 42P01)');

    const status = await cli(['status', '--env', 'staging']);
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/20240104000000_bad_backfill\s+FAILED/);
    expect(status.out).toContain('P3009');

    const json = await cli(['status', '--env', 'staging', '--json']);
    const parsed = JSON.parse(json.out) as { counts: Record<string, number> };
    expect(parsed.counts).toMatchObject({ applied: 3, failed: 1, pending: 1 });
    expect(json.out).not.toContain(new URL(db.url).password);
  });

  it('resolves a failed migration as rolled back, after which deploy tries it again', async () => {
    const both = await cli(['resolve', '--env', 'staging', '--applied', 'x', '--rolled-back', 'y']);
    expect(both.code).toBe(2);
    const res = await cli(['resolve', '--env', 'staging', '--rolled-back', '20240104000000_bad_backfill']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('Migration 20240104000000_bad_backfill marked as rolled back.');
    const again = await cli(['resolve', '--env', 'staging', '--rolled-back', 'no_such_migration']);
    expect(again.code).toBe(1);
    expect(again.out).toContain('P3011');
    const rerun = await cli(['deploy', '--env', 'staging', '--yes', '--json']);
    expect(rerun.code).toBe(1);
    const out = JSON.parse(rerun.out) as { result: { applied: string[]; failure: { name: string } } };
    expect(out.result.applied).toEqual([]);
    expect(out.result.failure.name).toBe('20240104000000_bad_backfill');
  });

  it('reviews a folder, a file and an environment, exiting 1 on an unsuppressed error', async () => {
    const folder = await cli(['review', fixture]);
    expect(folder.code).toBe(0);
    expect(folder.out).toContain('create-index-non-concurrent');
    const file = join(dir, 'drop.sql');
    writeFileSync(file, 'DROP TABLE "Order";\n');
    const risky = await cli(['review', file, '--json']);
    expect(risky.code).toBe(1);
    const report = JSON.parse(risky.out) as { summary: { error: number } };
    expect(report.summary.error).toBeGreaterThan(0);
    const env = await cli(['review', 'staging']);
    expect(env.out).toMatch(/Review of \d+ pending migration\(s\) of staging/);
    expect((await cli(['review', '/no/such/path'])).code).toBe(2);
  });

  it('runs as a real process through the bin entry point', async () => {
    const run = promisify(execFile);
    const res = await run(
      join(root, 'node_modules/.bin/tsx'),
      [join(root, 'src/cli/main.ts'), 'status', '--env', 'staging'],
      {
        env: { ...process.env },
      },
    ).catch((e: { code: number; stdout: string }) => ({ stdout: e.stdout, exitCode: e.code }));
    expect(res.stdout).toContain('Environment staging');
    expect((res as { exitCode?: number }).exitCode).toBe(1);
  });
});
