/**
 * Issue 9, defect 3, through Slack: the network between the bot and PostgreSQL goes silent (a
 * loopback TCP proxy stops forwarding without closing) while a migration runs. Cancel answers
 * within its own timeout although the migration session cannot be reached; once the network is
 * back the outcome is decided from a fresh connection and what the run says matches what the
 * database committed. Real PostgreSQL, the Slack emulator.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  requestAndApprove,
  threadOf,
  waitForActiveQuery,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/cancel');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('a silent network partition during apply', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('partition');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    const u = new URL(db.url);
    proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port) });
    bot = await startTestBot({
      mode: 'http',
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
          watchdog: { silenceMs: 60_000, cancelTimeoutMs: 1000, outcomeWaitMs: 30_000 },
        },
      },
      vars: { STAGING_DATABASE_URL: proxy.url(db.url) },
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await proxy?.close();
    await db?.drop();
  });

  it('Cancel answers while the database is unreachable, and the outcome matches what the database committed', async () => {
    const { runId, ts } = await requestAndApprove(bot, { requester: ALICE, approver: BOB });
    await waitForActiveQuery(db, '%pg_sleep(20)%');
    proxy.pause();
    await bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_cancel',
      value: runId,
    });
    // The network comes back while Drawbridge is deciding the outcome.
    setTimeout(() => proxy.resume(), 3000);
    const run = await waitForRunState(bot, runId, ['cancelled', 'failed', 'done'], 40_000);
    expect(run.state).toBe('cancelled');
    expect(run.outcome).toContain('cancel could not reach the database');
    expect(run.outcome).toContain('did not commit');
    // What the run says is what the database shows: no column, the row unfinished, no session left.
    const col = await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'score'`,
    );
    expect(col.rowCount).toBe(0);
    const rows = await db.query<{ finished_at: Date | null }>(
      `SELECT finished_at FROM _prisma_migrations WHERE migration_name = '20250102000000_slow_backfill'`,
    );
    expect(rows.rows).toEqual([{ finished_at: null }]);
    const left = await db.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'drawbridge deploy%'`,
      [db.name],
    );
    expect(left.rowCount).toBe(0);
    await bot.app.messenger.flush(runId);
    const thread = threadOf(bot, CHANNEL, ts)
      .map((m) => blocksText(m))
      .join('\n');
    expect(thread).toContain('left behind');
  }, 90_000);
});
