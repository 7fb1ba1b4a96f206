import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator/index.js';
import { APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, startSocketApp, type FixtureApp } from './fixture-app.js';

const ALICE = 'U0ALICE01';
const CHANNEL = 'C0MIGRATE1';

describe('Slack emulator with a real Bolt app in Socket Mode', () => {
  let emu: SlackEmulator;
  let bot: FixtureApp;

  beforeAll(async () => {
    emu = await startSlackEmulator({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
    });
    bot = await startSocketApp(emu.apiUrl);
  });
  afterAll(async () => {
    await bot.stop();
    await emu.close();
  });

  it('connects with the app-level token and says hello', () => {
    expect(emu.socketConnections).toBe(1);
    expect(emu.mode).toBe('socket');
    const open = emu.calls.find((c) => c.method === 'apps.connections.open');
    expect(open).toMatchObject({ token: APP_TOKEN, response: { ok: true } });
    expect(String(open?.response.url)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
  });

  it('runs the command, button and update round trip over envelopes', async () => {
    const d = await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'billing' });
    expect(d).toMatchObject({ status: 200, body: 'Planning billing...', timedOut: false });
    const posted = await emu.waitFor(() => emu.transcript(CHANNEL)[0], { what: 'the approval message' });
    expect(posted.text).toBe('Migration plan for billing needs approval');

    const click = await emu.clickButton({
      user: 'U0BOB0001',
      channel: CHANNEL,
      messageTs: posted.ts,
      actionId: 'migration_approve',
      value: 'mig_42',
    });
    expect(click).toMatchObject({ status: 200, body: '', timedOut: false });
    const updated = await emu.waitFor(() => emu.transcript(CHANNEL).find((m) => m.edited), {
      what: 'chat.update',
    });
    expect(updated.text).toBe('Approved by <@U0BOB0001>');
    expect(bot.seen).toEqual(['command:billing', 'action:mig_42:U0BOB0001']);
  });

  it('returns the view_submission ack payload as the delivery', async () => {
    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'schedule' });
    const view = await emu.waitFor(() => [...emu.views.values()].find((v) => v.open), { what: 'views.open' });
    const d = await emu.submitView({ user: ALICE, viewId: view.id, values: {} });
    expect(d.json).toEqual({ response_action: 'errors', errors: { notes: 'Please write why' } });
    expect(emu.views.get(view.id)?.open).toBe(true);
  });

  it('rejects apps.connections.open with the bot token', async () => {
    const res = await fetch(`${emu.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${BOT_TOKEN}` },
    });
    expect(await res.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
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
