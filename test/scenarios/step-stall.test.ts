/**
 * Issue 9, defect 3: a run never hangs. A step that reports nothing for
 * `watchdog.stepStallMinutes` (here a maintenance command that never returns) is stopped, its
 * command killed, and the run fails at that step saying why. Real PostgreSQL, the Slack emulator.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { requestAndApprove, waitForRunState } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('the step watchdog', () => {
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('stall');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    bot = await startTestBot({
      mode: 'http',
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
          maintenance: { on: ['sleep', '600'], off: ['true'] },
          watchdog: { stepStallMinutes: 0.03 },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  it('stops a step that reports nothing, and the run fails there saying so', async () => {
    const { runId } = await requestAndApprove(bot, { requester: ALICE, approver: BOB });
    const run = await waitForRunState(bot, runId, ['failed', 'cancelled', 'done'], 30_000);
    expect(run.state).toBe('failed');
    expect(run.outcome).toContain('failed at maintenance_on: STEP_STALLED');
    expect(run.outcome).toContain('no progress');
    const steps = bot.app.runs.runs.listSteps(runId);
    expect(steps.find((s) => s.name === 'apply')?.state).toBe('not_run');
    const rows = await db.query('SELECT 1 FROM _prisma_migrations');
    expect(rows.rowCount).toBe(1);
  });
});
