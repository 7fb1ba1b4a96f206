/**
 * Issue 9, defect 4: SIGTERM while a migration runs. The bot lets the migration under way finish
 * (up to `shutdown.applyWaitSeconds`), starts no other, records the run `interrupted` with what was
 * applied, and exits 0; when the limit passes first it exits non-zero, and the next start decides
 * the outcome from the journal. Real bot process, real PostgreSQL, the Slack emulator.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { deploy } from '../../src/migrations/deploy.js';
import { CHANNEL } from '../support/bot.js';
import { startProcessScenario, type ProcessScenario } from '../support/process-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf, requestAndApprove, waitForActiveQuery } from '../support/run-scenario.js';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('SIGTERM during apply', () => {
  let db: TestDatabase;
  let watcher: pg.Client;
  const dirs: string[] = [];
  const scenarios: ProcessScenario[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('shutdown');
    watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
  });
  afterEach(async () => {
    for (const s of scenarios.splice(0)) await s.close();
    await watcher.end();
    await db.drop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A folder with an applied init and the given pending migrations. */
  async function folder(pending: Record<string, string>): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-shutdown-'));
    dirs.push(dir);
    const write = (name: string, sql: string): void => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'migration.sql'), sql);
    };
    write('20250101000000_init', 'CREATE TABLE side_effects (n int);\n');
    expect((await deploy({ databaseUrl: db.url, migrationsDir: dir })).outcome).toBe('succeeded');
    for (const [name, sql] of Object.entries(pending)) write(name, sql);
    return dir;
  }

  async function scenario(dir: string, applyWaitSeconds: number): Promise<ProcessScenario> {
    const s = await startProcessScenario({
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: dir,
          approvals: { required: 1, approvers: [BOB] },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
      config: { shutdown: { drainSeconds: 5, applyWaitSeconds } },
    });
    scenarios.push(s);
    return s;
  }

  const finished = async (): Promise<string[]> =>
    (
      await watcher.query<{ migration_name: string }>(
        `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY started_at`,
      )
    ).rows.map((r) => r.migration_name);

  it('lets the running migration finish, starts no other, records the run interrupted, and exits 0', async () => {
    const dir = await folder({
      '20250102000000_slow': 'INSERT INTO side_effects VALUES (1);\nSELECT pg_sleep(1.5);\n',
      '20250103000000_next': 'INSERT INTO side_effects VALUES (2);\n',
    });
    const s = await scenario(dir, 30);
    const bot = await s.start();
    const { runId } = await requestAndApprove(s, { requester: ALICE, approver: BOB });
    await waitForActiveQuery(db, '%pg_sleep(1.5)%');
    const exit = await s.stopGracefully(bot);
    expect(exit.code).toBe(0);
    expect(await finished()).toEqual(['20250101000000_init', '20250102000000_slow']);
    const effects = await watcher.query<{ n: number }>('SELECT n FROM side_effects ORDER BY n');
    expect(effects.rows.map((r) => r.n)).toEqual([1]);
    const run = s.run(runId);
    expect(run?.state).toBe('interrupted');
    expect(run?.outcome).toContain('1 of 2 migration(s) applied, the rest not started');
    expect(s.auditActions(runId)).toContain('run:interrupted');
  }, 90_000);

  it('exits non-zero when the migration outlasts the limit; the next start decides it from the journal', async () => {
    const dir = await folder({
      '20250102000000_long': 'INSERT INTO side_effects VALUES (1);\nSELECT pg_sleep(30);\n',
    });
    const s = await scenario(dir, 1);
    const bot = await s.start();
    const { runId, ts } = await requestAndApprove(s, { requester: ALICE, approver: BOB });
    await waitForActiveQuery(db, '%pg_sleep(30)%');
    const exit = await s.stopGracefully(bot);
    expect(exit.code).toBe(3);
    expect(s.run(runId)?.state).toBe('running');
    await s.start();
    const msg = await s.emu.waitFor(
      () => {
        const m = s.emu.transcript(CHANNEL).find((x) => x.ts === ts);
        return m && blocksText(m).includes('left behind') ? m : undefined;
      },
      { what: 'the verdict on the run message', timeoutMs: 30_000 },
    );
    expect(blocksText(msg)).toContain('did not commit');
    expect(buttonsOf(msg)).toContain('run_mark_rolled_back');
    expect(s.run(runId)?.state).toBe('interrupted');
    expect(await finished()).toEqual(['20250101000000_init']);
    expect((await watcher.query('SELECT 1 FROM side_effects')).rowCount).toBe(0);
  }, 90_000);
});
