import bolt from '@slack/bolt';
import { startSlackEmulator, type SlackEmulator } from '../support/slack-emulator/index.js';

const { WebClient } = bolt.webApi;
const TOKEN = 'xoxb-conversations-test';
const CHANNEL = 'C0MIGRATE1';
const MEMBER = 'U0ONCALL1';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => bolt.LogLevel.ERROR,
  setName: () => undefined,
};

type Client = InstanceType<typeof WebClient>;
type Msg = { ts: string; text?: string; metadata?: unknown; reply_count?: number; latest_reply?: string };

/** A fresh channel per test keeps histories apart. */
let channelSeq = 0;

describe('Slack emulator: message metadata, conversations.history/replies/open, fault schedules', () => {
  let emu: SlackEmulator;
  let client: Client;
  const channels = Array.from({ length: 12 }, (_, i) => ({
    id: `C0HIST${String(i).padStart(4, '0')}`,
    name: `hist-${i}`,
  }));

  beforeAll(async () => {
    emu = await startSlackEmulator({
      signingSecret: 's',
      botToken: TOKEN,
      channels: [{ id: CHANNEL, name: 'platform-migrations' }, ...channels],
      users: [{ id: MEMBER, name: 'on-call' }],
    });
    client = new WebClient(TOKEN, {
      slackApiUrl: emu.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: silent,
    });
  });
  afterEach(() => emu.clearFaults());
  afterAll(async () => {
    await emu.close();
  });

  const freshChannel = (): string => (channels[channelSeq++] as { id: string }).id;
  const post = async (channel: string, text: string, extra: Record<string, unknown> = {}): Promise<string> =>
    (await client.chat.postMessage({ channel, text, ...extra })).ts as string;
  const failure = async (p: Promise<unknown>): Promise<Record<string, unknown>> => {
    try {
      await p;
    } catch (err) {
      return err as Record<string, unknown>;
    }
    throw new Error('expected the call to fail');
  };

  it('stores message metadata, answers it from chat.postMessage, and returns it from history only with include_all_metadata', async () => {
    const channel = freshChannel();
    const metadata = { event_type: 'drawbridge_delivery', event_payload: { key: 'k-1' } };
    const res = await client.chat.postMessage({ channel, text: 'hello', metadata });
    expect(res.message).toMatchObject({ metadata });
    const plain = (await client.conversations.history({ channel })).messages as Msg[];
    expect(plain[0]).toMatchObject({ ts: res.ts, text: 'hello' });
    expect(plain[0]?.metadata).toBeUndefined();
    const withMeta = (await client.conversations.history({ channel, include_all_metadata: true }))
      .messages as Msg[];
    expect(withMeta[0]?.metadata).toEqual(metadata);

    await client.chat.update({
      channel,
      ts: res.ts as string,
      text: 'hello again',
      metadata: { event_type: 'drawbridge_delivery', event_payload: { key: 'k-2' } },
    });
    const updated = (await client.conversations.history({ channel, include_all_metadata: true }))
      .messages as Msg[];
    expect(updated[0]).toMatchObject({ text: 'hello again', metadata: { event_payload: { key: 'k-2' } } });
  });

  it('refuses metadata without an event type or with a payload that is not an object', async () => {
    for (const metadata of [{ event_payload: { key: 'x' } }, { event_type: 'x', event_payload: 'nope' }]) {
      const err = await failure(
        client.chat.postMessage({ channel: CHANNEL, text: 'x', metadata: metadata as never }),
      );
      expect(err).toMatchObject({ data: { ok: false, error: 'invalid_metadata_format' } });
    }
  });

  it('conversations.history: top-level messages newest first, thread parents with their reply count, a time window and cursor pages', async () => {
    const channel = freshChannel();
    const a = await post(channel, 'a');
    const b = await post(channel, 'b');
    const reply = await post(channel, 'reply to b', { thread_ts: b });
    const c = await post(channel, 'c');
    const all = (await client.conversations.history({ channel })).messages as Msg[];
    expect(all.map((m) => m.text)).toEqual(['c', 'b', 'a']);
    expect(all[1]).toMatchObject({ reply_count: 1, latest_reply: reply });

    const window = await client.conversations.history({ channel, oldest: a, latest: c });
    expect((window.messages as Msg[]).map((m) => m.text)).toEqual(['b']);
    const inclusive = await client.conversations.history({ channel, oldest: a, latest: c, inclusive: true });
    expect((inclusive.messages as Msg[]).map((m) => m.text)).toEqual(['c', 'b', 'a']);

    const first = await client.conversations.history({ channel, limit: 2 });
    expect((first.messages as Msg[]).map((m) => m.text)).toEqual(['c', 'b']);
    expect(first.has_more).toBe(true);
    const cursor = first.response_metadata?.next_cursor as string;
    expect(cursor).not.toBe('');
    const second = await client.conversations.history({ channel, limit: 2, cursor });
    expect((second.messages as Msg[]).map((m) => m.text)).toEqual(['a']);
    expect(second.has_more).toBe(false);
    expect(second.response_metadata?.next_cursor).toBe('');
  });

  it('conversations.replies: the parent first, then its replies oldest first, from the parent or any reply', async () => {
    const channel = freshChannel();
    const parent = await post(channel, 'parent');
    const r1 = await post(channel, 'one', { thread_ts: parent });
    await post(channel, 'elsewhere');
    const r2 = await post(channel, 'two', {
      thread_ts: parent,
      metadata: { event_type: 'drawbridge_delivery', event_payload: { key: 'k-two' } },
    });
    const fromParent = await client.conversations.replies({
      channel,
      ts: parent,
      include_all_metadata: true,
    });
    expect((fromParent.messages as Msg[]).map((m) => m.text)).toEqual(['parent', 'one', 'two']);
    expect((fromParent.messages as Msg[])[0]).toMatchObject({ reply_count: 2, latest_reply: r2 });
    expect((fromParent.messages as Msg[])[2]?.metadata).toEqual({
      event_type: 'drawbridge_delivery',
      event_payload: { key: 'k-two' },
    });
    const fromReply = await client.conversations.replies({ channel, ts: r1 });
    expect((fromReply.messages as Msg[]).map((m) => m.ts)).toEqual([parent, r1, r2]);
    expect((fromReply.messages as Msg[])[2]?.metadata).toBeUndefined();

    const newer = await client.conversations.replies({ channel, ts: parent, oldest: r1 });
    expect((newer.messages as Msg[]).map((m) => m.text)).toEqual(['parent', 'two']);

    const paged = await client.conversations.replies({ channel, ts: parent, limit: 2 });
    expect(paged.has_more).toBe(true);
    const rest = await client.conversations.replies({
      channel,
      ts: parent,
      limit: 2,
      cursor: paged.response_metadata?.next_cursor as string,
    });
    expect((rest.messages as Msg[]).map((m) => m.text)).toEqual(['two']);

    expect(await failure(client.conversations.replies({ channel, ts: '1000000000.000001' }))).toMatchObject({
      data: { error: 'thread_not_found' },
    });
  });

  it('conversations.open gives the DM channel a post can go to', async () => {
    const res = await client.conversations.open({ users: MEMBER });
    const dm = (res.channel as { id: string }).id;
    expect(dm).toMatch(/^D/);
    await post(dm, 'psst');
    expect(emu.transcript(dm).map((m) => m.text)).toEqual(['psst']);
    expect(await failure(client.conversations.open({ users: 'U0NOBODY1' }))).toMatchObject({
      data: { error: 'user_not_found' },
    });
  });

  it('fails every n-th call, counted from the injection, up to a count', async () => {
    emu.injectFault('auth.test', { kind: 'http', status: 500 }, { every: 3, count: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const outcome = await client.auth.test().then(
        () => 200,
        (e: { statusCode?: number }) => e.statusCode ?? -1,
      );
      statuses.push(outcome);
    }
    expect(statuses).toEqual([200, 200, 500, 200, 200, 500, 200, 200, 200]);
    expect(
      emu.calls
        .filter((c) => c.method === 'auth.test')
        .slice(-9)
        .map((c) => c.fault ?? '-'),
    ).toEqual(['-', '-', 'http', '-', '-', 'http', '-', '-', '-']);
  });

  it('fails a fraction of calls, reproducibly with a given random source', async () => {
    const draws = [0.1, 0.9, 0.3, 0.95, 0.5, 0.05];
    let i = 0;
    emu.injectFault(
      'users.info',
      { kind: 'error', error: 'internal_error' },
      { fraction: 0.4, random: () => draws[i++ % draws.length] as number },
    );
    const errors: string[] = [];
    for (let n = 0; n < 6; n++) {
      errors.push(
        await client.users.info({ user: MEMBER }).then(
          () => 'ok',
          (e: { data?: { error?: string } }) => e.data?.error ?? 'thrown',
        ),
      );
    }
    expect(errors).toEqual(['internal_error', 'ok', 'internal_error', 'ok', 'ok', 'internal_error']);
  });

  it('answers HTTP 200 ok:false ratelimited with a Retry-After the client reports', async () => {
    emu.injectFault('chat.postMessage', { kind: 'error', error: 'ratelimited', retryAfterSec: 3 });
    const err = await failure(client.chat.postMessage({ channel: CHANNEL, text: 'x' }));
    expect(err).toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { error: 'ratelimited', response_metadata: { retryAfter: 3 } },
    });
  });

  it('a delayed answer: the message is posted at once, a client with a shorter timeout never sees the answer', async () => {
    const channel = freshChannel();
    const impatient = new WebClient(TOKEN, {
      slackApiUrl: emu.apiUrl,
      retryConfig: { retries: 0 },
      timeout: 150,
      logger: silent,
    });
    emu.injectFault('chat.postMessage', { kind: 'delay', ms: 600 });
    const started = performance.now();
    const err = await failure(impatient.chat.postMessage({ channel, text: 'lost answer' }));
    expect(performance.now() - started).toBeLessThan(550);
    expect(err).toMatchObject({ code: 'slack_webapi_request_error' });
    expect(emu.transcript(channel).map((m) => m.text)).toEqual(['lost answer']);
    expect(emu.calls.at(-1)).toMatchObject({ method: 'chat.postMessage', fault: 'delay', status: 200 });

    // A patient client gets the late answer.
    emu.injectFault('chat.postMessage', { kind: 'delay', ms: 100 });
    const late = await client.chat.postMessage({ channel, text: 'late answer' });
    expect(late).toMatchObject({ ok: true, channel });
  });

  it('clearFaults removes pending faults', async () => {
    emu.injectFault('auth.test', { kind: 'http', status: 503 }, 5);
    emu.clearFaults('auth.test');
    expect(await client.auth.test()).toMatchObject({ ok: true });
  });
});
