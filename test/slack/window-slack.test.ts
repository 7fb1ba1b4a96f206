/**
 * The Slack surface of maintenance windows through the emulator and a real PostgreSQL: the modal's
 * round trip (open, errors under the right field, scheduled in the person's own time zone and
 * announced in the team channel), the window commands, and the offer of the next window to a deploy
 * outside one (requireWindow) with its "Run in the window" button.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/base/clock.js';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf, runIdOf, waitForRunMessage } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { View } from '../support/slack-emulator/types.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01'; // Europe/Oslo, an approver of production
const BOB = 'U0BOB0001'; // America/New_York, not an approver
const NOW = Date.UTC(2026, 11, 1, 10);
/** 2026-12-03 02:00 in Oslo (UTC+1 in December). */
const OSLO_0200 = Date.UTC(2026, 11, 3, 1) / 1000;

describe('maintenance windows in Slack', () => {
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('window_slack');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    bot = await startTestBot({
      mode: 'http',
      clock: new ManualClock(NOW),
      emulator: {
        users: [
          { id: ALICE, name: 'alice', tz: 'Europe/Oslo' },
          { id: BOB, name: 'bob', tz: 'America/New_York' },
        ],
      },
      environments: {
        production: {
          database: { urlEnv: 'PRODUCTION_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [ALICE] },
          requireWindow: true,
        },
      },
      vars: { PRODUCTION_DATABASE_URL: db.url },
    });
  });

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  async function openModal(user: string): Promise<View> {
    const before = new Set(bot.emu.views.keys());
    const delivery = await bot.emu.slashCommand({ user, channel: CHANNEL, text: 'window' });
    expect(delivery.status).toBe(200);
    expect(delivery.body).toBe('');
    return bot.emu.waitFor(
      () => [...bot.emu.views.values()].find((v) => !before.has(v.id) && v.user === user && v.open),
      { what: 'the window modal' },
    );
  }

  function form(date: string | undefined, time: string, duration: string, title?: string) {
    return {
      environment: { environment: 'production' },
      ...(date ? { date: { date } } : {}),
      time: { time },
      duration: { duration },
      ...(title ? { title: { title } } : {}),
    };
  }

  it('schedules a window from the modal, in the submitter’s time zone, and tells the team channel', async () => {
    const view = await openModal(ALICE);
    expect(view.view.callback_id).toBe('window_schedule');
    expect(JSON.stringify(view.view.blocks)).toContain('Start time (Europe/Oslo)');
    const delivery = await bot.emu.submitView({
      user: ALICE,
      viewId: view.id,
      values: form('2026-12-03', '02:00', '2h', 'orders index'),
    });
    expect(delivery.status).toBe(200);
    expect(bot.emu.views.get(view.id)?.errors).toBeUndefined();
    const posted = await bot.emu.waitFor(
      () =>
        bot.emu
          .transcript(CHANNEL)
          .find((m) => m.source === 'chat.postMessage' && m.text.includes('Maintenance window scheduled')),
      { what: 'the scheduled window in the team channel' },
    );
    expect(blocksText(posted)).toContain(
      `<!date^${OSLO_0200}^{date_short_pretty} {time}|2026-12-03 01:00 UTC>`,
    );
    expect(blocksText(posted)).toContain('“orders index”');
    const listed = bot.app.bot.windows.list('production');
    expect(
      listed.map((l) => [l.window.startsAt, l.window.endsAt - l.window.startsAt, l.window.title]),
    ).toEqual([[OSLO_0200 * 1000, 2 * 3_600_000, 'orders index']]);
  });

  it('keeps the modal open with the reason under the field: missing date, overlap, not an approver', async () => {
    const view = await openModal(ALICE);
    await bot.emu.submitView({ user: ALICE, viewId: view.id, values: form(undefined, '02:00', '2h') });
    expect(bot.emu.views.get(view.id)?.errors).toEqual({ date: 'Pick a date.' });

    await bot.emu.submitView({ user: ALICE, viewId: view.id, values: form('2026-12-03', '03:00', '1h') });
    expect(bot.emu.views.get(view.id)?.errors?.date).toMatch(/overlaps window [0-9a-f]{8}/);
    expect(bot.emu.views.get(view.id)?.errors?.date).not.toContain('<!date');
    expect(bot.emu.views.get(view.id)?.invalidAck).toBeUndefined();
    expect(bot.emu.views.get(view.id)?.open).toBe(true);

    const bobs = await openModal(BOB);
    await bot.emu.submitView({ user: BOB, viewId: bobs.id, values: form('2026-12-10', '02:00', '1h') });
    expect(bot.emu.views.get(bobs.id)?.errors?.environment).toMatch(/Only the approvers of production/);
  });

  it('schedules, lists and cancels with commands; a local start is read in the requester’s zone', async () => {
    await bot.emu.slashCommand({
      user: ALICE,
      channel: CHANNEL,
      text: 'window schedule production 2026-12-05 06:00 1h30m nightly vacuum',
    });
    const told = await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: ALICE })
          .find(
            (m) =>
              m.text.includes('nightly vacuum') &&
              blocksText(m).includes('read in your time zone, Europe/Oslo'),
          ),
      { what: 'how the start was read' },
    );
    const id = /Window `([0-9a-f]{8})`/.exec(blocksText(told))?.[1] ?? '';
    expect(told.text).toContain('2026-12-05 05:00 UTC');
    await bot.emu.waitFor(
      () =>
        bot.emu.transcript(CHANNEL).find((m) => m.source === 'response_url' && m.text.includes(`(${id})`)),
      { what: 'the window announced in the channel' },
    );

    await bot.emu.slashCommand({ user: BOB, channel: CHANNEL, text: 'window list production' });
    const list = await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: BOB })
          .find((m) => m.text.includes('maintenance window(s) for production')),
      { what: 'the list' },
    );
    expect(list.text).toMatch(/^2 open or upcoming/);
    expect(blocksText(list)).toContain(`\`${id}\``);

    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `window cancel ${id}` });
    await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => m.text.startsWith(`Maintenance window ${id} cancelled`)),
      { what: 'the cancellation' },
    );
    expect(bot.app.bot.windows.list('production')).toHaveLength(1);
  });

  it('reads a local start as UTC, and says so, when Slack does not give the time zone', async () => {
    bot.emu.injectFault('users.info', { kind: 'error', error: 'internal_error' });
    await bot.emu.slashCommand({
      user: ALICE,
      channel: CHANNEL,
      text: 'window schedule production 2026-12-07 02:00 1h',
    });
    const told = await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: ALICE })
          .find(
            (m) => m.text.includes('2026-12-07') && blocksText(m).includes('could not be read from Slack'),
          ),
      { what: 'the UTC fallback' },
    );
    expect(blocksText(told)).toContain('2026-12-07 02:00 UTC');
  });

  it('offers the next window to a deploy outside one; the button requests a run in that window', async () => {
    await bot.emu.slashCommand({ user: BOB, channel: CHANNEL, text: 'deploy production add orders' });
    const offer = await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user: BOB }).find((m) => buttonsOf(m).includes('deploy_in_window')),
      { what: 'the offer of the next window', timeoutMs: 20_000 },
    );
    // Bob is in New York: 02:00 in Oslo is 20:00 the day before for him.
    expect(blocksText(offer)).toContain('Run in the window of Wed 2 Dec 20:00–22:00 America/New_York');
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: offer.ts,
      actionId: 'deploy_in_window',
    });
    const msg = await waitForRunMessage(bot, CHANNEL);
    const run = bot.app.runs.runs.getRun(runIdOf(msg));
    expect(run?.windowId).toBe(bot.app.bot.windows.list('production')[0]?.window.id);
    expect(run?.reason).toBe('add orders');
    expect(run?.state).toBe('awaiting_approval');
    await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: BOB })
          .find((m) => m.ts === offer.ts && m.text.includes('requested in window')),
      { what: 'the offer replaced' },
    );
  });
});
