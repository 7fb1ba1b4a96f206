/**
 * Issue 9, defect 2, through Slack: after approval, while maintenance mode is being turned on, a
 * migration is added to the folder and an approved one is edited. Neither runs: the run fails at
 * apply before sending anything and says which files changed. Real PostgreSQL, the Slack emulator,
 * the maintenance command a real process that edits the folder.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, requestAndApprove, threadOf, waitForRunState } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('an approval binds the exact files', () => {
  let db: TestDatabase;
  let bot: TestBot;
  let work: string;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('plan_binding');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    work = mkdtempSync(join(tmpdir(), 'drawbridge-binding-'));
    dir = join(work, 'migrations');
    cpSync(fixture, dir, { recursive: true });
    // The "maintenance on" command changes the folder after the approval, before apply.
    const tamper = join(work, 'tamper.mjs');
    writeFileSync(
      tamper,
      [
        "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
        'const dir = process.argv[2];',
        "mkdirSync(dir + '/20250104000000_sneaky');",
        "writeFileSync(dir + '/20250104000000_sneaky/migration.sql', 'CREATE TABLE sneaky (x int);');",
        "appendFileSync(dir + '/20250102000000_orders/migration.sql', '\\nDROP TABLE \"User\";\\n');",
      ].join('\n'),
    );
    mkdirSync(join(work, 'out'));
    bot = await startTestBot({
      mode: 'http',
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: dir,
          approvals: { required: 1, approvers: [BOB] },
          maintenance: { on: [process.execPath, tamper, dir], off: ['true'] },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('neither the added nor the edited migration runs; the run fails before applying and names both', async () => {
    const { runId, ts } = await requestAndApprove(bot, { requester: ALICE, approver: BOB });
    const run = await waitForRunState(bot, runId, ['failed', 'done', 'cancelled'], 60_000);
    expect(run.state).toBe('failed');
    expect(run.outcome).toContain('at apply');
    expect(run.outcome).toContain('20250104000000_sneaky is pending but not in the approved plan');
    expect(run.outcome).toContain('20250102000000_orders changed since it was approved');
    // Nothing ran: no new ledger row, no new table, the User table is still there.
    const rows = await db.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations');
    expect(rows.rows.map((r) => r.migration_name)).toEqual(['20250101000000_init']);
    expect((await db.query(`SELECT to_regclass('sneaky') AS t`)).rows[0]?.t).toBeNull();
    expect((await db.query(`SELECT to_regclass('"User"') AS t`)).rows[0]?.t).not.toBeNull();
    const steps = bot.app.runs.runs.listSteps(runId);
    expect(steps.find((st) => st.name === 'maintenance_on')?.state).toBe('succeeded');
    expect(steps.find((st) => st.name === 'apply')?.state).toBe('refused');
    await bot.app.messenger.flush(runId);
    const team = threadOf(bot, CHANNEL, ts)
      .map((m) => blocksText(m))
      .join('\n');
    expect(team).toContain('20250102000000_orders changed since it was approved');
  });
});
