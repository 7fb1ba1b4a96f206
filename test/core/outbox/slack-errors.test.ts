import bolt from '@slack/bolt';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createDeliveryClient, type SlackWebClient } from '../../../src/core/outbox/slack-client.js';
import { classifySlackError } from '../../../src/core/outbox/slack-errors.js';
import { startSlackEmulator, type SlackEmulator } from '../../support/slack-emulator/index.js';

const { LogLevel } = bolt.webApi;
const TOKEN = 'xoxb-slack-errors';
/** The client logs Slack's `[ERROR]` response messages; these tests provoke them on purpose. */
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
const CHANNEL = 'C0MIGRATE1';

/** What a delivery client's call threw, classified. */
async function verdictOf(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    return classifySlackError(err);
  }
  throw new Error('expected the call to fail');
}

describe('classifySlackError against the real answers of the emulator', () => {
  let emu: SlackEmulator;
  let client: SlackWebClient;

  beforeAll(async () => {
    emu = await startSlackEmulator({ signingSecret: 's', botToken: TOKEN });
    client = createDeliveryClient(TOKEN, emu.apiUrl, 1000, quiet);
  });
  afterEach(() => emu.clearFaults());
  afterAll(async () => {
    await emu.close();
  });

  const post = (extra: Record<string, unknown> = {}) =>
    client.chat.postMessage({ channel: CHANNEL, text: 'hello', ...extra });

  it.each([
    ['HTTP 500', { kind: 'http', status: 500 }, { retryable: true, error: 'HTTP 500' }],
    ['HTTP 503', { kind: 'http', status: 503 }, { retryable: true, error: 'HTTP 503' }],
    ['HTTP 408', { kind: 'http', status: 408 }, { retryable: true, error: 'HTTP 408' }],
    ['HTTP 400', { kind: 'http', status: 400 }, { retryable: false, error: 'HTTP 400' }],
    [
      '429 with Retry-After',
      { kind: 'ratelimit', retryAfterSec: 7 },
      { retryable: true, error: 'ratelimited (HTTP 429)', retryAfterMs: 7000 },
    ],
    [
      '200 ok:false ratelimited with Retry-After',
      { kind: 'error', error: 'ratelimited', retryAfterSec: 2 },
      { retryable: true, error: 'ratelimited', retryAfterMs: 2000 },
    ],
    [
      '200 ok:false ratelimited',
      { kind: 'error', error: 'ratelimited' },
      { retryable: true, error: 'ratelimited' },
    ],
    [
      '200 ok:false internal_error',
      { kind: 'error', error: 'internal_error' },
      { retryable: true, error: 'internal_error' },
    ],
    [
      '200 ok:false fatal_error',
      { kind: 'error', error: 'fatal_error' },
      { retryable: true, error: 'fatal_error' },
    ],
    [
      '200 ok:false service_unavailable',
      { kind: 'error', error: 'service_unavailable' },
      { retryable: true, error: 'service_unavailable' },
    ],
    [
      '200 ok:false is_archived',
      { kind: 'error', error: 'is_archived' },
      { retryable: false, error: 'is_archived' },
    ],
    [
      '200 ok:false an unknown code',
      { kind: 'error', error: 'something_new' },
      { retryable: false, error: 'something_new' },
    ],
  ] as const)('%s', async (_name, fault, expected) => {
    emu.injectFault('chat.postMessage', fault);
    expect(await verdictOf(post())).toEqual(expected);
  });

  it('a 429 without a usable Retry-After is retried (the client throws a plain error)', async () => {
    emu.injectFault('chat.postMessage', { kind: 'http', status: 429 });
    expect(await verdictOf(post())).toMatchObject({ retryable: true });
  });

  it('an answer later than the client timeout is retried, and the client did not retry by itself', async () => {
    emu.injectFault('chat.postMessage', { kind: 'delay', ms: 2500 });
    const before = emu.calls.length;
    expect(await verdictOf(post({ text: 'slow' }))).toEqual({
      retryable: true,
      error: 'no answer in time (timeout)',
    });
    expect(emu.calls.slice(before).map((c) => c.method)).toEqual(['chat.postMessage']);
  });

  it('no server at all is retried', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const nowhere = createDeliveryClient(TOKEN, `http://127.0.0.1:${port}/api/`, 1000, quiet);
    expect(await verdictOf(nowhere.auth.test())).toMatchObject({
      retryable: true,
      error: expect.stringMatching(/^request failed: /) as unknown,
    });
  });

  it.each([
    ['channel_not_found', () => client.chat.postMessage({ channel: 'C0NOWHERE1', text: 'x' })],
    ['no_text', () => client.chat.postMessage({ channel: CHANNEL, text: '' })],
    [
      'invalid_blocks',
      () => client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: [{ type: 'nonsense' }] as never }),
    ],
    ['message_not_found', () => client.chat.update({ channel: CHANNEL, ts: '1000000000.000001', text: 'x' })],
    ['thread_not_found', () => client.conversations.replies({ channel: CHANNEL, ts: '1000000000.000001' })],
    ['invalid_auth', () => createDeliveryClient('xoxb-wrong', emu.apiUrl, 1000, quiet).auth.test()],
  ])('%s is given up', async (code, call) => {
    expect(await verdictOf(call())).toEqual({ retryable: false, error: code });
  });

  it('msg_too_long and missing_scope are given up', async () => {
    const ts = (await post()).ts as string;
    expect(await verdictOf(client.chat.update({ channel: CHANNEL, ts, text: 'x'.repeat(4001) }))).toEqual({
      retryable: false,
      error: 'msg_too_long',
    });
    const scoped = await startSlackEmulator({ signingSecret: 's', botToken: TOKEN, scopes: ['chat:write'] });
    try {
      const c = createDeliveryClient(TOKEN, scoped.apiUrl, 1000, quiet);
      expect(await verdictOf(c.conversations.history({ channel: CHANNEL }))).toEqual({
        retryable: false,
        error: 'missing_scope',
      });
    } finally {
      await scoped.close();
    }
  });

  it('anything else thrown is retried, with its message', () => {
    expect(classifySlackError(new Error('socket hang up'))).toEqual({
      retryable: true,
      error: 'socket hang up',
    });
    expect(classifySlackError('weird')).toEqual({ retryable: true, error: 'weird' });
  });
});
