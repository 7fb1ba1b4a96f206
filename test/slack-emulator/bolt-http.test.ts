import { systemClock } from '../../src/base/clock.js';
import {
  computeSlackSignature,
  startSlackEmulator,
  type SlackEmulator,
} from '../support/slack-emulator/index.js';
import { BOT_TOKEN, SIGNING_SECRET, startHttpApp, type FixtureApp } from './fixture-app.js';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0MIGRATE1';

describe('Slack emulator with a real Bolt app over HTTP', () => {
  let emu: SlackEmulator;
  let bot: FixtureApp & { requestUrl: string };

  beforeAll(async () => {
    emu = await startSlackEmulator({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    bot = await startHttpApp(emu.apiUrl);
    emu.setRequestUrl(bot.requestUrl);
  });
  afterAll(async () => {
    await bot.stop();
    await emu.close();
  });

  it('delivers a signed slash command, a button click and records the chat.update', async () => {
    expect(emu.mode).toBe('http');
    const d = await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'payments-service' });
    expect(d).toMatchObject({ status: 200, body: 'Planning payments-service...', timedOut: false });
    expect(emu.ephemerals({ user: ALICE })).toEqual([
      expect.objectContaining({ text: 'Planning payments-service...', source: 'ack' }),
    ]);

    const posted = await emu.waitFor(() => emu.transcript(CHANNEL)[0], { what: 'the approval message' });
    expect(posted).toMatchObject({
      user: 'U0MIGBOT1',
      bot_id: 'B0MIGBOT1',
      text: 'Migration plan for payments-service needs approval',
    });
    expect(emu.calls.find((c) => c.method === 'chat.postMessage')?.token).toBe(BOT_TOKEN);

    const click = await emu.clickButton({
      user: 'U0BOB0001',
      channel: CHANNEL,
      messageTs: posted.ts,
      actionId: 'migration_approve',
    });
    expect(click).toMatchObject({ status: 200, body: '', timedOut: false });
    const updated = await emu.waitFor(() => emu.transcript(CHANNEL).find((m) => m.edited !== undefined), {
      what: 'chat.update',
    });
    expect(updated).toMatchObject({ ts: posted.ts, text: 'Approved by <@U0BOB0001>' });
    expect(updated.blocks?.map((b) => b.type)).toEqual(['context']);
    expect(updated.history?.[0]?.text).toBe('Migration plan for payments-service needs approval');
    expect(emu.transcript(CHANNEL)).toHaveLength(1);
    expect(bot.seen).toEqual(['command:payments-service', 'action:mig_42:U0BOB0001']);
  });

  it('refuses to click a button the message does not show', async () => {
    const [msg] = emu.transcript(CHANNEL);
    await expect(
      emu.clickButton({ user: ALICE, channel: CHANNEL, messageTs: msg!.ts, actionId: 'migration_approve' }),
    ).rejects.toThrow(/shows no button/);
  });

  it('gets 401 for a forged signature and for a stale timestamp, and the app sees nothing', async () => {
    const before = bot.seen.length;
    const body = new URLSearchParams({
      command: '/migrate',
      text: 'forged',
      user_id: ALICE,
      channel_id: CHANNEL,
      team_id: 'T0ACME001',
    }).toString();
    const now = Math.floor(systemClock.now() / 1000);
    const forged = await emu.postRaw(body, {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(now),
      'X-Slack-Signature': computeSlackSignature('not-the-secret', now, body),
    });
    expect(forged.status).toBe(401);
    const stale = now - 6 * 60;
    const old = await emu.postRaw(body, {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(stale),
      'X-Slack-Signature': computeSlackSignature(SIGNING_SECRET, stale, body),
    });
    expect(old.status).toBe(401);
    const unsigned = await emu.postRaw(body, { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(unsigned.status).toBe(401);
    expect(bot.seen.length).toBe(before);
  });

  it('opens a modal with the trigger_id and returns the errors ack of a submission', async () => {
    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'schedule' });
    const view = await emu.waitFor(() => [...emu.views.values()].find((v) => v.open), { what: 'views.open' });
    expect(view).toMatchObject({
      user: ALICE,
      view: { callback_id: 'schedule', private_metadata: 'mig_42' },
    });

    const rejected = await emu.submitView({ user: ALICE, viewId: view.id, values: {} });
    expect(rejected.status).toBe(200);
    expect(rejected.json).toEqual({ response_action: 'errors', errors: { notes: 'Please write why' } });
    expect(emu.views.get(view.id)).toMatchObject({ open: true, errors: { notes: 'Please write why' } });

    const accepted = await emu.submitView({
      user: ALICE,
      viewId: view.id,
      values: { notes: { notes_input: 'low traffic at night' } },
    });
    expect(accepted).toMatchObject({ status: 200, body: '' });
    expect(emu.views.get(view.id)?.open).toBe(false);
    expect(bot.seen.slice(-3)).toEqual([
      'command:schedule',
      'view:mig_42:null',
      'view:mig_42:low traffic at night',
    ]);
  });

  it('delivers an app_mention event and records the threaded reply', async () => {
    const d = await emu.sendEvent({
      type: 'app_mention',
      user: ALICE,
      channel: CHANNEL,
      text: '<@U0MIGBOT1> hi',
    });
    expect(d).toMatchObject({ status: 200, timedOut: false });
    const mention = await emu.waitFor(
      () => emu.transcript(CHANNEL).find((m) => m.text === '<@U0MIGBOT1> hi' && m.replies?.length),
      { what: 'the reply in the thread' },
    );
    expect(mention.user).toBe(ALICE);
    expect(mention.replies?.[0]).toMatchObject({ user: 'U0MIGBOT1', text: `Hello <@${ALICE}>` });
  });
});
