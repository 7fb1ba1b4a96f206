import { createDeliveryClient, type SlackWebClient } from '../../../src/core/outbox/slack-client.js';
import { uploadFileToThread, type ThreadFileUpload } from '../../../src/core/outbox/slack-upload.js';
import { renderLineChart } from '../../../src/integrations/chart.js';
import { startSlackEmulator, type SlackEmulator } from '../../support/slack-emulator/index.js';
import { UPLOAD_URL_METHOD } from '../../support/slack-emulator/methods-files.js';

const TOKEN = 'xoxb-slack-upload';
const CHANNEL = 'C0UPLOAD01';

/** Every byte value, twice: multipart framing or a text decoding on the way would show. */
const BYTES = Uint8Array.from({ length: 512 }, (_, i) => i % 256);

describe('uploadFileToThread', () => {
  let emu: SlackEmulator;
  let client: SlackWebClient;
  let threadTs: string;

  beforeAll(async () => {
    emu = await startSlackEmulator({
      signingSecret: 's',
      botToken: TOKEN,
      channels: [{ id: CHANNEL, name: 'uploads' }],
    });
    client = createDeliveryClient(TOKEN, emu.apiUrl, 5000);
    threadTs = (await client.chat.postMessage({ channel: CHANNEL, text: 'Run 42 deployed' })).ts ?? '';
  });
  afterEach(() => emu.clearFaults());
  afterAll(async () => {
    await emu.close();
  });

  const upload = (over: Partial<ThreadFileUpload> = {}): ThreadFileUpload => ({
    channel: CHANNEL,
    threadTs,
    filename: 'watch-run-42.bin',
    title: 'Run 42, 24 h after',
    bytes: BYTES,
    initialComment: 'The day after run 42',
    ...over,
  });
  const callsOf = (method: string) => emu.calls.filter((c) => c.method === method);
  const counts = () =>
    ['files.getUploadURLExternal', UPLOAD_URL_METHOD, 'files.completeUploadExternal'].map(
      (m) => callsOf(m).length,
    );

  it('shares the file in the thread with its bytes intact, through the three steps', async () => {
    const result = await uploadFileToThread(client, upload());

    expect(result).toEqual({ ok: true, result: { fileId: expect.any(String), channel: CHANNEL, threadTs } });
    const fileId = (result as { result: { fileId: string } }).result.fileId;
    expect(callsOf('files.getUploadURLExternal').at(-1)?.args).toMatchObject({
      filename: 'watch-run-42.bin',
      length: '512',
    });
    expect(callsOf('files.completeUploadExternal').at(-1)?.args).toMatchObject({
      files: [{ id: fileId, title: 'Run 42, 24 h after' }],
      channel_id: CHANNEL,
      thread_ts: threadTs,
      initial_comment: 'The day after run 42',
    });
    expect(emu.files.get(fileId)).toMatchObject({
      completed: true,
      channel: CHANNEL,
      title: 'Run 42, 24 h after',
    });
    expect(Buffer.compare(emu.files.get(fileId)?.content ?? Buffer.alloc(0), Buffer.from(BYTES))).toBe(0);
    const thread = emu.transcript(CHANNEL).find((m) => m.ts === threadTs);
    expect(thread?.replies?.at(-1)).toMatchObject({
      thread_ts: threadTs,
      subtype: 'file_share',
      text: 'The day after run 42',
      files: [expect.objectContaining({ id: fileId })],
    });
  });

  it('uploads a rendered chart byte for byte', async () => {
    const t0 = Date.UTC(2026, 0, 10);
    const png = await renderLineChart({
      title: 'p95 latency',
      series: [
        { name: 'p95', unit: 'ms', points: [0, 1, 2].map((i) => ({ t: t0 + i * 60_000, v: 100 + i })) },
      ],
      markers: [{ t: t0 + 60_000, label: 'deploy' }],
      width: 400,
      height: 200,
    });
    const result = await uploadFileToThread(client, upload({ filename: 'watch.png', bytes: png }));
    const fileId = (result as { result: { fileId: string } }).result.fileId;
    expect(emu.files.get(fileId)?.content?.equals(png)).toBe(true);
  });

  it.each([
    ['ok:false invalid_auth', { kind: 'error', error: 'invalid_auth' } as const, false, 'invalid_auth'],
    ['ok:false internal_error', { kind: 'error', error: 'internal_error' } as const, true, 'internal_error'],
    ['HTTP 500', { kind: 'http', status: 500 } as const, true, 'HTTP 500'],
    ['HTTP 404', { kind: 'http', status: 404 } as const, false, 'HTTP 404'],
  ])(
    'files.getUploadURLExternal answering %s: fails, retryable only for a passing failure',
    async (_, fault, retryable, error) => {
      emu.injectFault('files.getUploadURLExternal', fault);
      const before = counts();
      const result = await uploadFileToThread(client, upload());
      expect(result).toEqual({ ok: false, retryable, error: `files.getUploadURLExternal: ${error}` });
      expect(counts()).toEqual([before[0]! + 1, before[1], before[2]]);
    },
  );

  it('passes on the Retry-After of a 429', async () => {
    emu.injectFault('files.getUploadURLExternal', { kind: 'ratelimit', retryAfterSec: 7 });
    expect(await uploadFileToThread(client, upload())).toEqual({
      ok: false,
      retryable: true,
      error: 'files.getUploadURLExternal: ratelimited (HTTP 429)',
      retryAfterMs: 7000,
    });
  });

  it('a token Slack does not know: invalid_auth, not retried', async () => {
    const stranger = createDeliveryClient('xoxb-not-ours', emu.apiUrl, 5000);
    expect(await uploadFileToThread(stranger, upload())).toEqual({
      ok: false,
      retryable: false,
      error: 'files.getUploadURLExternal: invalid_auth',
    });
  });

  it.each([
    [{ kind: 'http', status: 503 } as const, true, 'HTTP 503'],
    [{ kind: 'ratelimit', retryAfterSec: 3 } as const, true, 'HTTP 429'],
    [{ kind: 'error', error: 'bad_request' } as const, false, 'HTTP 400'],
  ])('the upload URL answering %j: fails before completing', async (fault, retryable, error) => {
    emu.injectFault(UPLOAD_URL_METHOD, fault);
    const before = counts();
    const result = await uploadFileToThread(client, upload());
    expect(result).toMatchObject({ ok: false, retryable, error: `upload: ${error}` });
    expect(counts()).toEqual([before[0]! + 1, before[1]! + 1, before[2]]);
  });

  it('an upload URL that does not answer in time: retryable, and the error does not name the URL', async () => {
    emu.injectFault(UPLOAD_URL_METHOD, { kind: 'delay', ms: 1500 });
    const result = await uploadFileToThread(client, upload({ uploadTimeoutMs: 200 }));
    expect(result).toEqual({ ok: false, retryable: true, error: 'upload: no answer in time (timeout)' });
  });

  it('files.completeUploadExternal failing: the step and its error, retryable or not', async () => {
    emu.injectFault('files.completeUploadExternal', { kind: 'error', error: 'not_in_channel' });
    expect(await uploadFileToThread(client, upload())).toEqual({
      ok: false,
      retryable: false,
      error: 'files.completeUploadExternal: not_in_channel',
    });
    emu.injectFault('files.completeUploadExternal', { kind: 'http', status: 502 });
    expect(await uploadFileToThread(client, upload())).toEqual({
      ok: false,
      retryable: true,
      error: 'files.completeUploadExternal: HTTP 502',
    });
  });

  it('an aborted signal: a retryable failure, nothing sent', async () => {
    const before = counts();
    const result = await uploadFileToThread(client, upload({ signal: AbortSignal.abort() }));
    expect(result).toEqual({ ok: false, retryable: true, error: 'files.getUploadURLExternal: aborted' });
    expect(counts()).toEqual(before);
  });
});
