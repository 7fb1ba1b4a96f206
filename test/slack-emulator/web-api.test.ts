import bolt from '@slack/bolt';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator/index.js';

const { WebClient } = bolt.webApi;
const TOKEN = 'xoxb-web-api-test';
const CHANNEL = 'C0MIGRATE1';

/** Keeps the client from logging the `[ERROR]` messages of the failures this file provokes. */
const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => bolt.LogLevel.ERROR,
  setName: () => undefined,
};

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('Slack emulator Web API', () => {
  let emu: SlackEmulator;
  let client: InstanceType<typeof WebClient>;

  beforeAll(async () => {
    emu = await startSlackEmulator({
      signingSecret: 's',
      botToken: TOKEN,
      usergroups: { S0DBAS0001: ['U0ALICE01', 'U0BOB0001'] },
    });
    client = new WebClient(TOKEN, {
      slackApiUrl: emu.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: silent,
    });
  });
  afterAll(async () => {
    await emu.close();
  });

  const errorOf = async (p: Promise<unknown>): Promise<Record<string, unknown>> => {
    try {
      await p;
    } catch (err) {
      return (err as { data?: Record<string, unknown> }).data ?? { thrown: String(err) };
    }
    throw new Error('expected the call to fail');
  };

  it('answers auth.test, users.info, conversations.info and usergroups.users.list', async () => {
    expect(await client.auth.test()).toMatchObject({
      ok: true,
      team_id: 'T0ACME001',
      user_id: 'U0MIGBOT1',
      bot_id: 'B0MIGBOT1',
    });
    expect((await client.users.info({ user: 'U0BOB0001' })).user).toMatchObject({
      id: 'U0BOB0001',
      name: 'bob',
    });
    expect(await errorOf(client.users.info({ user: 'U0NOBODY1' }))).toMatchObject({
      error: 'user_not_found',
    });
    expect((await client.conversations.info({ channel: CHANNEL })).channel).toMatchObject({
      name: 'platform-migrations',
    });
    expect(await client.usergroups.users.list({ usergroup: 'S0DBAS0001' })).toMatchObject({
      ok: true,
      users: ['U0ALICE01', 'U0BOB0001'],
    });
    expect(await errorOf(client.usergroups.users.list({ usergroup: 'S0NOPE0001' }))).toMatchObject({
      error: 'no_such_subteam',
    });
  });

  it('enforces Block Kit limits with invalid_blocks', async () => {
    const tooMany = Array.from({ length: 61 }, (_, i) => section(`line ${i}`));
    const err = await errorOf(client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: tooMany }));
    expect(err).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(JSON.stringify(err.response_metadata)).toContain('no more than 50 items allowed');
    const cases = [
      [section('a'.repeat(3001))],
      [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      [
        {
          type: 'actions',
          elements: [{ type: 'button', action_id: 'b', text: { type: 'plain_text', text: 'b'.repeat(76) } }],
        },
      ],
    ];
    for (const blocks of cases) {
      expect(await errorOf(client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks }))).toMatchObject({
        error: 'invalid_blocks',
      });
    }
    expect(emu.transcript(CHANNEL)).toHaveLength(0);
    const ok = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'x',
      blocks: [section('a'.repeat(3000))],
    });
    expect(ok.ts).toMatch(/^\d{10}\.\d{6}$/);
  });

  it('keeps unique ts, updates only its own messages and checks lengths', async () => {
    const a = await client.chat.postMessage({ channel: CHANNEL, text: 'one' });
    const b = await client.chat.postMessage({ channel: CHANNEL, text: 'two', thread_ts: a.ts });
    expect(b.ts).not.toBe(a.ts);
    expect(
      emu
        .transcript(CHANNEL)
        .find((m) => m.ts === a.ts)
        ?.replies?.map((r) => r.text),
    ).toEqual(['two']);
    expect(
      await errorOf(client.chat.update({ channel: CHANNEL, ts: '1000000000.000001', text: 'y' })),
    ).toMatchObject({ error: 'message_not_found' });
    expect(
      await errorOf(client.chat.update({ channel: CHANNEL, ts: a.ts!, text: 'y'.repeat(4001) })),
    ).toMatchObject({ error: 'msg_too_long' });
    expect(await errorOf(client.chat.postMessage({ channel: 'C0NOPE0001', text: 'y' }))).toMatchObject({
      error: 'channel_not_found',
    });
    const link = await client.chat.getPermalink({ channel: CHANNEL, message_ts: b.ts! });
    expect(link.permalink).toBe(
      `https://acme.slack.com/archives/${CHANNEL}/p${b.ts!.replace('.', '')}?thread_ts=${a.ts}&cid=${CHANNEL}`,
    );
    await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE01', text: 'just you' });
    expect(emu.ephemerals({ user: 'U0ALICE01' }).map((m) => m.text)).toEqual(['just you']);
  });

  it('accepts JSON and form bodies, token from header then body, and answers auth errors', async () => {
    const post = async (body: string, headers: Record<string, string>) =>
      (await fetch(`${emu.apiUrl}chat.postMessage`, { method: 'POST', body, headers })).json();
    expect(
      await post(JSON.stringify({ token: TOKEN, channel: CHANNEL, text: 'json' }), {
        'content-type': 'application/json',
      }),
    ).toMatchObject({ ok: true });
    expect(
      await post(`channel=${CHANNEL}&text=form`, {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${TOKEN}`,
      }),
    ).toMatchObject({ ok: true });
    expect(
      await post(`channel=${CHANNEL}&text=x`, { 'content-type': 'application/x-www-form-urlencoded' }),
    ).toEqual({ ok: false, error: 'not_authed' });
    expect(
      await post(`channel=${CHANNEL}&text=x&token=xoxb-wrong`, {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    ).toEqual({ ok: false, error: 'invalid_auth' });
    const recorded = emu.calls.filter((c) => c.method === 'chat.postMessage').slice(-4);
    expect(recorded.map((c) => c.token)).toEqual([TOKEN, TOKEN, undefined, 'xoxb-wrong']);
  });

  it('accepts multipart bodies with JSON fields', async () => {
    const form = new FormData();
    form.set('channel', CHANNEL);
    form.set('text', 'multipart');
    form.set('blocks', JSON.stringify([section('from multipart')]));
    const res = await fetch(`${emu.apiUrl}chat.postMessage`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await res.json()).toMatchObject({ ok: true, message: { text: 'multipart' } });
    expect(emu.calls.at(-1)?.args.blocks).toEqual([section('from multipart')]);
  });

  it('answers missing_scope when the bot lacks the scope', async () => {
    const scoped = await startSlackEmulator({ signingSecret: 's', botToken: TOKEN, scopes: ['chat:write'] });
    try {
      const c = new WebClient(TOKEN, {
        slackApiUrl: scoped.apiUrl,
        retryConfig: { retries: 0 },
        logger: silent,
      });
      expect(await errorOf(c.usergroups.users.list({ usergroup: 'S0DBAS0001' }))).toMatchObject({
        error: 'missing_scope',
        needed: 'usergroups:read',
        provided: 'chat:write',
      });
    } finally {
      await scoped.close();
    }
  });

  it('injects rate limits, HTTP errors and platform errors for a number of calls', async () => {
    emu.injectFault('users.info', { kind: 'ratelimit', retryAfterSec: 7 });
    emu.injectFault('users.info', { kind: 'http', status: 503 });
    emu.injectFault('users.info', { kind: 'error', error: 'fatal_error' }, 2);
    const limited = await client.users.info({ user: 'U0ALICE01' }).catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
    expect(await client.users.info({ user: 'U0ALICE01' }).catch((e: unknown) => e)).toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 503,
    });
    expect(await errorOf(client.users.info({ user: 'U0ALICE01' }))).toMatchObject({ error: 'fatal_error' });
    expect(await errorOf(client.users.info({ user: 'U0ALICE01' }))).toMatchObject({ error: 'fatal_error' });
    expect(await client.users.info({ user: 'U0ALICE01' })).toMatchObject({ ok: true });
    expect(
      emu.calls
        .filter((c) => c.method === 'users.info')
        .slice(-5)
        .map((c) => c.status),
    ).toEqual([429, 503, 200, 200, 200]);
  });

  it('runs the filesUploadV2 flow and posts the file to the channel', async () => {
    const res = (await client.filesUploadV2({
      channel_id: CHANNEL,
      filename: 'plan.md',
      content: '# the plan',
      title: 'Plan',
      initial_comment: 'Plan attached',
    })) as unknown as {
      files: { files: { id: string }[] }[];
    };
    const id = res.files[0]?.files[0]?.id ?? '';
    expect(emu.files.get(id)).toMatchObject({
      filename: 'plan.md',
      title: 'Plan',
      completed: true,
      channel: CHANNEL,
    });
    expect(emu.files.get(id)?.content?.toString()).toBe('# the plan');
    expect(emu.transcript(CHANNEL).at(-1)).toMatchObject({
      text: 'Plan attached',
      files: [expect.objectContaining({ id })],
    });
  });

  it('waitFor rejects with a clear message on timeout', async () => {
    await expect(
      emu.waitFor(() => false, { timeoutMs: 50, what: 'a message that never comes' }),
    ).rejects.toThrow(/waitFor timed out after 50 ms: a message that never comes/);
  });
});
