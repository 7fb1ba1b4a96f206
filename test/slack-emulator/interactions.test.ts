import { ManualClock } from '../../src/base/clock.js';
import {
  computeSlackSignature,
  startSlackEmulator,
  type SlackEmulator,
} from '../support/slack-emulator/index.js';
import { startCaptureApp, type CaptureApp } from './capture-app.js';

const SECRET = 'interactions-secret';
const TOKEN = 'xoxb-interactions';
const ALICE = 'U0ALICE01';
const CHANNEL = 'C0MIGRATE1';
const START = 1767225600000;

describe('Slack emulator deliveries on the wire', () => {
  let emu: SlackEmulator;
  let app: CaptureApp;
  const clock = new ManualClock(START);

  const api = async (method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const form = new URLSearchParams(
      Object.entries(args).map(([k, v]): [string, string] => [
        k,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]),
    );
    const res = await fetch(`${emu.apiUrl}${method}`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const respond = async (url: string, body: Record<string, unknown>) =>
    fetch(url, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  const lastFields = () => new URLSearchParams(app.requests.at(-1)?.body ?? '');
  const lastPayload = () => JSON.parse(lastFields().get('payload') ?? '{}') as Record<string, unknown>;
  const button = {
    type: 'actions',
    block_id: 'decide',
    elements: [{ type: 'button', action_id: 'go', value: 'v1', text: { type: 'plain_text', text: 'Go' } }],
  };

  beforeAll(async () => {
    emu = await startSlackEmulator({ signingSecret: SECRET, botToken: TOKEN, ackTimeoutMs: 300, clock });
    app = await startCaptureApp();
    emu.setRequestUrl(app.url);
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
  });

  it('sends slash commands as signed forms with the exact content type', async () => {
    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'plan payments --target k8s' });
    const req = app.requests.at(-1)!;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const ts = String(req.headers['x-slack-request-timestamp']);
    expect(req.headers['x-slack-signature']).toBe(computeSlackSignature(SECRET, ts, req.body));
    expect(req.body).toContain('text=plan+payments+--target+k8s');
    const f = lastFields();
    expect(Object.fromEntries(f)).toMatchObject({
      command: '/migrate',
      user_id: ALICE,
      user_name: 'alice',
      channel_id: CHANNEL,
      team_id: 'T0ACME001',
    });
    expect(f.get('response_url')).toMatch(new RegExp(`^${emu.baseUrl}/hooks/commands/T0ACME001/\\d+/\\S+$`));
    expect(f.get('trigger_id')).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);
  });

  it('posts an in_channel ack with the echoed command, and chat.update refuses a user message', async () => {
    app.reply = () => ({
      body: JSON.stringify({ response_type: 'in_channel', text: 'Deploying' }),
      contentType: 'application/json',
    });
    const d = await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy' });
    expect(d.json).toEqual({ response_type: 'in_channel', text: 'Deploying' });
    const [echo, reply] = emu.transcript(CHANNEL);
    expect(echo).toMatchObject({ user: ALICE, text: '/migrate deploy', ts: '1767225600.000000' });
    expect(reply).toMatchObject({ user: 'U0MIGBOT1', text: 'Deploying', ts: '1767225600.000001' });
    expect(await api('chat.update', { channel: CHANNEL, ts: echo!.ts, text: 'x' })).toEqual({
      ok: false,
      error: 'cant_update_message',
    });
    app.reply = () => ({});
  });

  it('exchanges a trigger_id once and only within 3 seconds', async () => {
    const view = { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] };
    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'a' });
    const stale = lastFields().get('trigger_id');
    await clock.advance(3001);
    expect(await api('views.open', { trigger_id: stale, view })).toEqual({
      ok: false,
      error: 'expired_trigger_id',
    });
    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'b' });
    const fresh = lastFields().get('trigger_id');
    expect(await api('views.open', { trigger_id: fresh, view })).toMatchObject({
      ok: true,
      view: { type: 'modal' },
    });
    expect(await api('views.open', { trigger_id: fresh, view })).toEqual({
      ok: false,
      error: 'exchanged_trigger_id',
    });
    expect(await api('views.open', { trigger_id: '1.2.3', view })).toEqual({
      ok: false,
      error: 'invalid_trigger_id',
    });
  });

  it('sends block_actions as a payload field and applies response_url replies', async () => {
    const posted = await api('chat.postMessage', { channel: CHANNEL, text: 'pick', blocks: [button] });
    await emu.clickButton({ user: ALICE, channel: CHANNEL, messageTs: String(posted.ts), actionId: 'go' });
    expect([...lastFields().keys()]).toEqual(['payload']);
    const p = lastPayload();
    expect(p).toMatchObject({
      type: 'block_actions',
      user: { id: ALICE },
      container: { type: 'message', message_ts: posted.ts, channel_id: CHANNEL, is_ephemeral: false },
      message: { ts: posted.ts, text: 'pick' },
      state: { values: {} },
      actions: [{ type: 'button', action_id: 'go', block_id: 'decide', value: 'v1' }],
    });
    const url = String(p.response_url);
    expect((await respond(url, { text: 'only you' })).status).toBe(200);
    expect(emu.ephemerals({ user: ALICE }).at(-1)).toMatchObject({
      text: 'only you',
      source: 'response_url',
    });
    expect((await respond(url, { replace_original: true, text: 'done' })).status).toBe(200);
    expect(emu.transcript(CHANNEL).find((m) => m.ts === posted.ts)).toMatchObject({
      text: 'done',
      blocks: [],
    });
    expect((await respond(url, { response_type: 'in_channel', text: 'public' })).status).toBe(200);
    expect(emu.transcript(CHANNEL).at(-1)?.text).toBe('public');
    expect((await respond(url, { delete_original: true })).status).toBe(200);
    expect(emu.transcript(CHANNEL).some((m) => m.ts === posted.ts)).toBe(false);
    expect((await respond(url, { text: 'sixth use' })).status).toBe(200);
    const expired = await respond(url, { text: 'seventh' });
    expect(expired.status).toBe(404);
    expect(emu.calls.filter((c) => c.method === 'response_url')).toHaveLength(6);
  });

  it('clicks a button in an ephemeral message and replaces it through response_url', async () => {
    const eph = await api('chat.postEphemeral', {
      channel: CHANNEL,
      user: ALICE,
      text: 'confirm?',
      blocks: [button],
    });
    await emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: String(eph.message_ts),
      actionId: 'go',
    });
    const p = lastPayload();
    expect(p.container).toMatchObject({ is_ephemeral: true, message_ts: eph.message_ts });
    expect(p.message).toBeUndefined();
    await respond(String(p.response_url), { replace_original: true, text: 'confirmed' });
    expect(emu.ephemerals({ user: ALICE }).find((m) => m.ts === eph.message_ts)?.text).toBe('confirmed');
    await expect(
      emu.clickButton({
        user: 'U0BOB0001',
        channel: CHANNEL,
        messageTs: String(eph.message_ts),
        actionId: 'go',
      }),
    ).rejects.toThrow(/sees no message/);
  });

  it('reports an ack timeout like Slack does', async () => {
    app.reply = () => ({ hang: true });
    const d = await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'slow' });
    expect(d).toMatchObject({ status: 0, timedOut: true });
    expect(emu.ephemerals({ user: ALICE }).at(-1)).toMatchObject({
      source: 'slack_error',
      text: '/migrate failed with the error "operation_timeout"',
    });
    app.reply = () => ({});
  });
});
