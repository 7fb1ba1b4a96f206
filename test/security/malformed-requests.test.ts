/**
 * Issue 9, defect 6: malformed requests that carry a valid signature (only a holder of the signing
 * secret, or Slack itself over Socket Mode, can send them) must never end the process. The real
 * `src/main.ts` process runs against the loopback Slack emulator; each body is answered with 400
 * (Socket Mode: dropped with a warning), and afterwards the same process still answers `/migrate help` and
 * `GET /healthz`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNEL, SECRETS } from '../support/bot.js';
import {
  killHard,
  pollUntil,
  startBotProcess,
  waitHealthy,
  type BotProcess,
} from '../support/bot-process.js';
import { freePort } from '../support/pg-cluster.js';
import { signedHeaders, startSlackEmulator } from '../support/slack-emulator/index.js';
import type { SlackEmulator } from '../support/slack-emulator/types.js';

const ALICE = 'U0ALICE01';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Signed bodies Bolt cannot dispatch: [what, content type, raw body]. */
const MALFORMED: [string, string, string][] = [
  ['payload=null', FORM, 'payload=null'],
  ['an empty payload', FORM, 'payload='],
  ['a number payload', FORM, 'payload=123'],
  ['a string payload', FORM, 'payload=%22str%22'],
  ['an array payload', FORM, 'payload=%5B%5D'],
  ['an object payload without a type', FORM, 'payload=%7B%7D'],
  ['a payload that is not JSON', FORM, 'payload=%7Bnot%20json'],
  ['a payload whose type is not a string', FORM, `payload=${encodeURIComponent('{"type":null}')}`],
  ['a form with neither payload nor command', FORM, 'text=help&user_id=U0ALICE01'],
  ['an empty form', FORM, ''],
  ['a JSON body null', JSON_TYPE, 'null'],
  ['a JSON body that is a number', JSON_TYPE, '42'],
  ['a JSON array', JSON_TYPE, '[{"type":"event_callback"}]'],
  ['a JSON body that is not JSON', JSON_TYPE, '{"type":'],
  ['an event callback whose event is null', JSON_TYPE, '{"type":"event_callback","event":null}'],
  ['an event callback whose event is a string', JSON_TYPE, '{"type":"event_callback","event":"x"}'],
];

async function writeConfig(dir: string): Promise<Record<string, string>> {
  const configPath = join(dir, 'drawbridge.yml');
  writeFileSync(
    configPath,
    [
      `slack: { channel: ${CHANNEL} }`,
      'environments:',
      '  staging:',
      '    database: { urlEnv: STAGING_DATABASE_URL }',
      `    migrations: ${JSON.stringify(dir)}`,
      '',
    ].join('\n'),
  );
  return {
    DRAWBRIDGE_CONFIG: configPath,
    DRAWBRIDGE_DATA_DIR: join(dir, 'data'),
    SLACK_BOT_TOKEN: SECRETS.botToken,
    // Never connected to: `/migrate help` needs no database.
    STAGING_DATABASE_URL: `postgres://app:unused-password@127.0.0.1:${await freePort()}/app`,
    LOG_LEVEL: 'info',
  };
}

/** A Socket Mode envelope around `payload`, as Slack would send it. */
function envelope(type: string, payload: unknown): string {
  return JSON.stringify({ envelope_id: `env-${type}`, type, accepts_response_payload: false, payload });
}

async function healthz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
}

describe('malformed but signed requests over HTTP (the real bot process)', () => {
  let emu: SlackEmulator;
  let bot: BotProcess;
  let dir: string;
  let port: number;

  beforeAll(async () => {
    emu = await startSlackEmulator({ signingSecret: SECRETS.signingSecret, botToken: SECRETS.botToken });
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-malformed-http-'));
    port = await freePort();
    bot = startBotProcess({
      ...(await writeConfig(dir)),
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: emu.apiUrl,
      PORT: String(port),
    });
    await waitHealthy(bot, port);
    emu.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
  }, 30_000);

  afterAll(async () => {
    if (bot) await killHard(bot).catch(() => undefined);
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(MALFORMED)('answers %s with 400 and stays up', async (_what, contentType, body) => {
    const res = await emu.postRaw(body, {
      'content-type': contentType,
      ...signedHeaders(SECRETS.signingSecret, body),
    });
    expect(res.status).toBe(400);
    expect(await healthz(port)).toBe(200);
    expect(bot.alive()).toBe(true);
  });

  it('still checks the signature first: an unsigned payload=null gets 401', async () => {
    const res = await emu.postRaw('payload=null', { 'content-type': FORM });
    expect(res.status).toBe(401);
    expect(bot.alive()).toBe(true);
  });

  it('answers a signed body over the size limit with 413 and stays up', async () => {
    const body = `payload=${'x'.repeat(5 * 1024 * 1024)}`;
    const res = await emu.postRaw(body, {
      'content-type': FORM,
      ...signedHeaders(SECRETS.signingSecret, body),
    });
    expect(res.status).toBe(413);
    expect(bot.alive()).toBe(true);
  });

  it.each([
    ['a block action without actions', { type: 'block_actions', user: { id: ALICE } }, [400]],
    ['a view submission whose view is null', { type: 'view_submission', view: null }, [400]],
    // Past the screen: Bolt's own error handling (500) or its no-listener answer (404 after 3 s).
    ['a block action with null parts', { type: 'block_actions', actions: [null], user: null }, [404, 500]],
    ['a shortcut nobody listens to', { type: 'shortcut' }, [404, 500]],
  ])('answers %s without dying', async (_what, payload, statuses) => {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const res = await emu.postRaw(body, {
      'content-type': FORM,
      ...signedHeaders(SECRETS.signingSecret, body),
    });
    expect(statuses).toContain(res.status);
    expect(bot.alive()).toBe(true);
  });

  it('answers a slash command with nothing but its name with the usage', async () => {
    const body = 'command=%2Fmigrate';
    const res = await emu.postRaw(body, {
      'content-type': FORM,
      ...signedHeaders(SECRETS.signingSecret, body),
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('/migrate help');
    expect(bot.alive()).toBe(true);
  });

  it('afterwards the same process answers /migrate help and GET /healthz', async () => {
    const help = await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'help' });
    expect(help.status).toBe(200);
    expect(help.body).toContain('/migrate help');
    expect(await healthz(port)).toBe(200);
    expect(bot.alive()).toBe(true);
    expect(bot.out.join('')).toContain('malformed Slack request');
  });
});

describe('malformed envelopes over Socket Mode (the real bot process)', () => {
  let emu: SlackEmulator;
  let bot: BotProcess;
  let dir: string;
  let port: number;

  /** How many malformed messages the bot has reported dropping so far. */
  function dropped(): number {
    return bot.out.join('').split('dropped a malformed Socket Mode message').length - 1;
  }

  beforeAll(async () => {
    emu = await startSlackEmulator({
      signingSecret: SECRETS.signingSecret,
      botToken: SECRETS.botToken,
      appToken: SECRETS.appToken,
    });
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-malformed-socket-'));
    port = await freePort();
    bot = startBotProcess({
      ...(await writeConfig(dir)),
      SLACK_APP_TOKEN: SECRETS.appToken,
      SLACK_API_URL: emu.apiUrl,
      PORT: String(port),
    });
    await waitHealthy(bot, port);
    await emu.waitForSocket(1, 20_000);
    emu.setMode('socket');
  }, 30_000);

  afterAll(async () => {
    if (bot) await killHard(bot).catch(() => undefined);
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    envelope('interactive', null),
    envelope('interactive', 123),
    envelope('interactive', 'str'),
    envelope('interactive', []),
    envelope('interactive', {}),
    envelope('slash_commands', null),
    envelope('events_api', null),
    envelope('events_api', { type: 'event_callback' }),
    envelope('events_api', { type: 'event_callback', event: null }),
    'null',
    '42',
    '"str"',
    '[]',
    '{}',
    '{"type":null}',
    '{"type":"interactive","payload":{"type":"block_actions"}}',
    '{not json',
  ])('drops the message %s and stays up', async (text) => {
    const before = dropped();
    emu.sendRawSocketMessage(text);
    await pollUntil(() => dropped() > before, { what: 'the warning about the dropped message' });
    expect(await healthz(port)).toBe(200);
    expect(bot.alive()).toBe(true);
  });

  it('afterwards the same process answers /migrate help and GET /healthz', async () => {
    const help = await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'help' });
    expect(help.status).toBe(200);
    expect(help.body).toContain('/migrate help');
    expect(await healthz(port)).toBe(200);
    expect(bot.alive()).toBe(true);
  });
});
