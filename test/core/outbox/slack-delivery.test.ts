import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, systemClock } from '../../../src/base/clock.js';
import { silentLogger } from '../../../src/base/logger.js';
import { OutboxWorker, type Deliverer } from '../../../src/core/outbox/outbox-worker.js';
import { createDeliveryClient, type SlackWebClient } from '../../../src/core/outbox/slack-client.js';
import {
  DELIVERY_EVENT_TYPE,
  deliveryMetadata,
  findPostedByKey,
  postMessageOnce,
} from '../../../src/core/outbox/slack-delivery.js';
import { classifySlackError } from '../../../src/core/outbox/slack-errors.js';
import { OutboxStore } from '../../../src/store/outbox-store.js';
import { Store } from '../../../src/store/store.js';
import { startSlackEmulator, type SlackEmulator } from '../../support/slack-emulator/index.js';

const TOKEN = 'xoxb-slack-delivery';
const CHANNELS = Array.from({ length: 16 }, (_, i) => ({
  id: `C0DELIV${String(i).padStart(3, '0')}`,
  name: `d-${i}`,
}));

async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

describe('Slack deliveries that survive a lost answer', () => {
  let emu: SlackEmulator;
  /** Gives up after 400 ms: well before the emulator's delayed answers (1.5 s) come. */
  let impatient: SlackWebClient;
  let client: SlackWebClient;
  let next = 0;
  const channel = (): string => (CHANNELS[next++] as { id: string }).id;

  beforeAll(async () => {
    emu = await startSlackEmulator({ signingSecret: 's', botToken: TOKEN, channels: CHANNELS });
    impatient = createDeliveryClient(TOKEN, emu.apiUrl, 400);
    client = createDeliveryClient(TOKEN, emu.apiUrl, 5000);
  });
  afterEach(() => emu.clearFaults());
  afterAll(async () => {
    await emu.close();
  });

  const posts = (ch: string) =>
    emu.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ch);
  const texts = (ch: string) => emu.transcript(ch).map((m) => m.text);

  it('posts with the delivery metadata; after an answer lost to the timeout, the repeat attempt finds the message instead of posting it again', async () => {
    const ch = channel();
    const delivery = { dedupeKey: 'run-1:requested', attempts: 0, createdAt: systemClock.now() };
    emu.injectFault('chat.postMessage', { kind: 'delay', ms: 1500 });
    const first = await postMessageOnce(impatient, { channel: ch, text: 'Deploy requested' }, delivery);
    expect(first).toEqual({ ok: false, retryable: true, error: 'no answer in time (timeout)' });
    await emu.waitFor(() => emu.transcript(ch).length === 1, { what: 'the post in Slack' });
    expect(posts(ch)[0]?.args.metadata).toEqual(deliveryMetadata('run-1:requested'));

    const ts = await findPostedByKey(client, ch, undefined, 'run-1:requested');
    expect(ts).toBe(emu.transcript(ch)[0]?.ts);

    const again = await postMessageOnce(
      client,
      { channel: ch, text: 'Deploy requested' },
      {
        ...delivery,
        attempts: 1,
      },
    );
    expect(again).toEqual({ ok: true, result: { channel: ch, ts, found: true } });
    expect(posts(ch)).toHaveLength(1);
    expect(texts(ch)).toEqual(['Deploy requested']);
  });

  it('finds a thread reply by its key through conversations.replies', async () => {
    const ch = channel();
    const parent = (await client.chat.postMessage({ channel: ch, text: 'run message' })).ts as string;
    emu.injectFault('chat.postMessage', { kind: 'delay', ms: 1500 });
    const delivery = { dedupeKey: 'run-1:step:backup', attempts: 0, createdAt: systemClock.now() };
    const lost = await postMessageOnce(
      impatient,
      { channel: ch, thread_ts: parent, text: 'Backup done' },
      delivery,
    );
    expect(lost).toMatchObject({ ok: false, retryable: true });
    await emu.waitFor(() => emu.transcript(ch)[0]?.replies?.length === 1, { what: 'the reply in Slack' });
    expect(await findPostedByKey(client, ch, undefined, 'run-1:step:backup')).toBeUndefined();
    const reply = await findPostedByKey(client, ch, parent, 'run-1:step:backup');
    expect(reply).toBe(emu.transcript(ch)[0]?.replies?.[0]?.ts);
    const again = await postMessageOnce(
      client,
      { channel: ch, thread_ts: parent, text: 'Backup done' },
      {
        ...delivery,
        attempts: 1,
      },
    );
    expect(again).toMatchObject({ ok: true, result: { ts: reply, found: true } });
    expect(emu.transcript(ch)[0]?.replies?.map((r) => r.text)).toEqual(['Backup done']);
  });

  it('ignores other keys, other event types and messages from before the item was queued', async () => {
    const ch = channel();
    await client.chat.postMessage({ channel: ch, text: 'a', metadata: deliveryMetadata('other-key') });
    await client.chat.postMessage({
      channel: ch,
      text: 'b',
      metadata: { event_type: 'someone_else', event_payload: { key: 'the-key' } },
    });
    expect(await findPostedByKey(client, ch, undefined, 'the-key')).toBeUndefined();
    const ts = (
      await client.chat.postMessage({ channel: ch, text: 'c', metadata: deliveryMetadata('the-key') })
    ).ts as string;
    expect(await findPostedByKey(client, ch, undefined, 'the-key')).toBe(ts);
    expect(
      await findPostedByKey(client, ch, undefined, 'the-key', { sinceMs: systemClock.now() - 60_000 }),
    ).toBe(ts);
    // Queued an hour after the message: the look-up does not read that far back.
    expect(
      await findPostedByKey(client, ch, undefined, 'the-key', { sinceMs: systemClock.now() + 3_600_000 }),
    ).toBeUndefined();
    expect(DELIVERY_EVENT_TYPE).toBe('drawbridge_delivery');
  });

  it('reads recent history only, across pages, up to maxMessages', async () => {
    const ch = channel();
    const ts = (
      await client.chat.postMessage({ channel: ch, text: 'keyed', metadata: deliveryMetadata('deep') })
    ).ts as string;
    for (let i = 0; i < 120; i++) await client.chat.postMessage({ channel: ch, text: `later ${i}` });
    const before = emu.calls.length;
    expect(await findPostedByKey(client, ch, undefined, 'deep')).toBe(ts);
    expect(emu.calls.slice(before).map((c) => c.method)).toEqual([
      'conversations.history',
      'conversations.history',
    ]);
    expect(await findPostedByKey(client, ch, undefined, 'deep', { maxMessages: 100 })).toBeUndefined();
  });

  it('a look-up that fails for a passing reason fails the attempt instead of risking a copy', async () => {
    const ch = channel();
    emu.injectFault('conversations.history', { kind: 'http', status: 503 });
    const res = await postMessageOnce(
      client,
      { channel: ch, text: 'x' },
      {
        dedupeKey: 'k-503',
        attempts: 1,
        createdAt: systemClock.now(),
      },
    );
    expect(res).toEqual({ ok: false, retryable: true, error: 'HTTP 503' });
    expect(posts(ch)).toHaveLength(0);
  });

  it('a look-up that cannot be done at all (no history scope) posts anyway and says so', async () => {
    const scoped = await startSlackEmulator({ signingSecret: 's', botToken: TOKEN, scopes: ['chat:write'] });
    try {
      const c = createDeliveryClient(TOKEN, scoped.apiUrl, 2000);
      const res = await postMessageOnce(
        c,
        { channel: 'C0MIGRATE1', text: 'x' },
        {
          dedupeKey: 'k-scope',
          attempts: 1,
          createdAt: systemClock.now(),
        },
      );
      expect(res).toMatchObject({
        ok: true,
        result: { channel: 'C0MIGRATE1', lookupError: 'missing_scope' },
      });
      expect(scoped.transcript('C0MIGRATE1').map((m) => m.text)).toEqual(['x']);
    } finally {
      await scoped.close();
    }
  });

  describe('through the outbox worker', () => {
    const stores: Store[] = [];
    const workers: OutboxWorker[] = [];
    afterEach(async () => {
      for (const w of workers.splice(0)) await w.stop();
      for (const s of stores.splice(0)) s.close();
    });

    interface PostPayload {
      channel: string;
      thread_ts?: string;
      text: string;
    }
    const slackDeliverer =
      (c: SlackWebClient): Deliverer =>
      async (msg) => {
        const p = msg.payload as PostPayload & { ts?: string };
        if (msg.kind === 'slack.post') return postMessageOnce(c, p, msg);
        try {
          await c.chat.update({ channel: p.channel, ts: p.ts as string, text: p.text });
          return { ok: true };
        } catch (err) {
          return { ok: false, ...classifySlackError(err) };
        }
      };

    const open = (dir: string, clock: ManualClock) => {
      const s = Store.open(dir, clock);
      stores.push(s);
      return new OutboxStore(s);
    };

    it('every message arrives exactly once and in order while Slack fails a fifth of the calls, rate-limits and loses answers', async () => {
      const clock = new ManualClock(systemClock.now());
      const outbox = open(mkdtempSync(join(tmpdir(), 'drawbridge-outbox-slack-')), clock);
      const [ch1, ch2] = [channel(), channel()];
      const parent = (await client.chat.postMessage({ channel: ch1, text: 'Run 1: requested' })).ts as string;

      emu.injectFault('chat.postMessage', { kind: 'http', status: 500 }, { every: 5 });
      emu.injectFault('chat.postMessage', { kind: 'ratelimit', retryAfterSec: 2 }, { every: 7 });
      emu.injectFault('chat.postMessage', { kind: 'error', error: 'ratelimited' }, { every: 11 });
      emu.injectFault('chat.postMessage', { kind: 'error', error: 'internal_error' }, { every: 13 });
      emu.injectFault('chat.postMessage', { kind: 'delay', ms: 1500 }, { every: 4, count: 3 });
      emu.injectFault('chat.update', { kind: 'http', status: 500 }, { every: 2 });

      for (let i = 1; i <= 12; i++) {
        outbox.enqueue({
          destination: `slack:${ch1}:${parent}`,
          kind: 'slack.post',
          payload: { channel: ch1, thread_ts: parent, text: `step ${i}` },
          dedupeKey: `run-1:thread:${i}`,
        });
        outbox.enqueue({
          destination: `slack:${ch1}:${parent}:message`,
          kind: 'slack.update',
          payload: { channel: ch1, ts: parent, text: `Run 1: step ${i} of 12` },
          dedupeKey: `run-1:message:${i}`,
          coalesceKey: 'run-1:message',
        });
        outbox.enqueue({
          destination: `slack:${ch2}`,
          kind: 'slack.post',
          payload: { channel: ch2, text: `team notice ${i}` },
          dedupeKey: `team:${i}`,
        });
      }
      const gaveUp: string[] = [];
      const w = new OutboxWorker({
        store: outbox,
        clock,
        logger: silentLogger(),
        deliverers: { slack: slackDeliverer(impatient) },
        baseDelayMs: 500,
        onGaveUp: (_m, e) => gaveUp.push(e),
      });
      workers.push(w);
      w.start();
      // Clock time moves only while no call is on the wire; real time bounds the loop.
      const until = performance.now() + 30_000;
      while (outbox.pending().length > 0 && performance.now() < until) {
        await flush();
        if (w.inFlight === 0) await clock.advance(250);
        else await new Promise((r) => setTimeout(r, 2));
      }
      expect(outbox.pending()).toEqual([]);
      expect(gaveUp).toEqual([]);
      const thread = emu.transcript(ch1)[0];
      expect(thread?.replies?.map((r) => r.text)).toEqual(
        Array.from({ length: 12 }, (_, i) => `step ${i + 1}`),
      );
      expect(thread?.text).toBe('Run 1: step 12 of 12');
      expect(texts(ch2)).toEqual(Array.from({ length: 12 }, (_, i) => `team notice ${i + 1}`));
      // The faults did happen, the lost answers included.
      const faults = emu.calls.filter((c) => c.fault !== undefined).map((c) => c.fault);
      expect(new Set(faults)).toEqual(new Set(['http', 'ratelimit', 'error', 'delay']));
      const lookups = emu.calls.filter(
        (c) => c.method.startsWith('conversations.') && [ch1, ch2].includes(c.args.channel as string),
      );
      expect(lookups.length).toBeGreaterThan(0);
    });

    it('after a crash with a post whose answer never came back, the next process finds it and posts nothing twice', async () => {
      const clock = new ManualClock(systemClock.now());
      const dir = mkdtempSync(join(tmpdir(), 'drawbridge-outbox-slack-crash-'));
      const first = open(dir, clock);
      const ch = channel();
      for (let i = 1; i <= 3; i++) {
        first.enqueue({
          destination: `slack:${ch}`,
          kind: 'slack.post',
          payload: { channel: ch, text: `notice ${i}` },
          dedupeKey: `crash:${i}`,
        });
      }
      // The first process sends notice 1; Slack takes it but the answer is slow, and the process dies.
      emu.injectFault('chat.postMessage', { kind: 'delay', ms: 1000 });
      const dying = new OutboxWorker({
        store: first,
        clock,
        logger: silentLogger(),
        deliverers: { slack: slackDeliverer(client) },
      });
      workers.push(dying);
      dying.start();
      await emu.waitFor(() => texts(ch).length === 1, { what: 'notice 1 in Slack' });

      const second = new OutboxWorker({
        store: open(dir, clock),
        clock,
        logger: silentLogger(),
        deliverers: { slack: slackDeliverer(client) },
      });
      workers.push(second);
      expect(await second.drain(60_000)).toBe(0);
      expect(texts(ch)).toEqual(['notice 1', 'notice 2', 'notice 3']);
      expect(posts(ch)).toHaveLength(3);
    });
  });
});
