/**
 * The Home tab through the Slack emulator and a real PostgreSQL: `app_home_opened` publishes a Home
 * with every environment (an unreachable one says so instead of failing the view); its Deploy button
 * starts the same flow as `/migrate deploy` (a run message in the team channel with Approve / Reject,
 * the approver told), and its Plan button answers the person privately.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { freePort } from '../support/pg-cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  ephemeralTexts,
  runIdOf,
  waitForRunMessage,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { View } from '../support/slack-emulator/types.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const users = [
  { id: ALICE, name: 'alice' },
  { id: BOB, name: 'bob' },
];

describe('App Home', () => {
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('app_home');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    const deadPort = await freePort();
    bot = await startTestBot({
      mode: 'http',
      emulator: { users },
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
        },
        broken: { database: { urlEnv: 'BROKEN_DATABASE_URL' }, migrations: fixture },
      },
      vars: {
        STAGING_DATABASE_URL: db.url,
        BROKEN_DATABASE_URL: `postgres://app:Br0kenPassw0rd@127.0.0.1:${deadPort}/app?connect_timeout=2`,
      },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  const home = (user: string): View | undefined =>
    [...bot.emu.views.values()].find((v) => v.user === user && v.view.type === 'home');
  const homeText = (user: string): string =>
    blocksText({ blocks: home(user)?.view.blocks as Record<string, unknown>[] | undefined });

  it('publishes the Home on app_home_opened, one line per environment, an unreachable one included', async () => {
    await bot.emu.sendEvent({ type: 'app_home_opened', user: ALICE, channel: 'D0ALICE01', tab: 'home' });
    const view = await bot.emu.waitFor(() => home(ALICE), { what: 'the Home view', timeoutMs: 20_000 });
    const text = homeText(ALICE);
    expect(text).toContain('*staging*');
    expect(text).toContain('2 migration(s) to apply');
    expect(text).toContain('*broken*');
    expect(text).toContain('Status unreachable');
    expect(text).not.toContain('Br0kenPassw0rd');
    expect(text).toContain('No maintenance window scheduled');
    const buttons = (view.view.blocks as Record<string, unknown>[])
      .filter((b) => b.type === 'actions')
      .map((b) => String(b.block_id));
    expect(buttons).toEqual(['home:staging', 'home:broken']);
  });

  it('Plan answers the person privately with the same plan as /migrate plan', async () => {
    const view = home(ALICE) as View;
    await bot.emu.clickViewButton({ user: ALICE, viewId: view.id, actionId: 'home_plan', value: 'staging' });
    const plan = await bot.emu.waitFor(
      () => ephemeralTexts(bot, ALICE).find((t) => t.includes('Plan · staging')),
      { what: 'the plan, privately', timeoutMs: 20_000 },
    );
    expect(plan).toContain('20250102000000_orders');
    expect(bot.emu.transcript(CHANNEL).some((m) => blocksText(m).includes('Plan · staging'))).toBe(false);
  });

  it('Deploy starts the same flow as /migrate deploy: a run waiting for approval in the team channel', async () => {
    const view = home(ALICE) as View;
    await bot.emu.clickViewButton({
      user: ALICE,
      viewId: view.id,
      actionId: 'home_deploy',
      value: 'staging',
    });
    const msg = await waitForRunMessage(bot, CHANNEL, 1);
    const runId = runIdOf(msg);
    expect(buttonsOf(msg)).toEqual(['run_approve', 'run_reject', 'run_cancel']);
    const run = await waitForRunState(bot, runId, ['awaiting_approval']);
    expect(run.requestedBy).toBe(ALICE);
    expect(run.channel).toBe(CHANNEL);
    // The approver is told, as for the slash command.
    await bot.emu.waitFor(
      () => bot.emu.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === BOB),
      { what: 'the approver DM' },
    );
    // The Home is published again and shows the run waiting.
    await bot.emu.waitFor(() => homeText(ALICE).includes(`Run *${runId}* is *awaiting approval*`), {
      what: 'the Home showing the active run',
      timeoutMs: 20_000,
    });
  });
});
