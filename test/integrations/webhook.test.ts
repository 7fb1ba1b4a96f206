import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/base/clock.js';
import { signWebhook, verifyWebhookSignature, WebhookSender } from '../../src/integrations/webhook.js';
import { runWithClock } from './clock-driver.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('WebhookSender against a loopback receiver', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];
  /** Scripted statuses per path; when empty the receiver answers 200. */
  const script: Record<string, number[]> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(script[path]?.shift() ?? 200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
  });

  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  const event = {
    type: 'run:succeeded',
    runId: 'r_1',
    environment: 'production',
    migrations: ['20260101_init'],
  };

  it('POSTs the JSON event signed with HMAC-SHA256 over "timestamp.body"', async () => {
    const sender = new WebhookSender([{ url: `${base}/a`, secret: 'whsec_0123456789abcdef' }], { clock });
    const [result] = await sender.send(event);
    expect(result).toEqual({ url: `${base}/a`, ok: true, status: 200, attempts: 1 });
    const req = received[0];
    expect(JSON.parse(req?.body ?? '')).toEqual(event);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-drawbridge-event']).toBe('run:succeeded');
    const timestamp = String(req?.headers['x-drawbridge-timestamp']);
    expect(timestamp).toBe(String(Math.floor(clock.now() / 1000)));
    const signature = String(req?.headers['x-drawbridge-signature']);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(signature).toBe(signWebhook('whsec_0123456789abcdef', Number(timestamp), req?.body ?? ''));
    const check = { timestamp, signature, body: req?.body ?? '', nowMs: clock.now() };
    expect(verifyWebhookSignature({ secret: 'whsec_0123456789abcdef', ...check })).toBe(true);
    expect(verifyWebhookSignature({ secret: 'another-secret-value', ...check })).toBe(false);
    expect(verifyWebhookSignature({ secret: 'whsec_0123456789abcdef', ...check, body: '{}' })).toBe(false);
    const later = { ...check, nowMs: clock.now() + 301_000 };
    expect(verifyWebhookSignature({ secret: 'whsec_0123456789abcdef', ...later })).toBe(false);
  });

  it('retries 5xx with backoff, keeps one delivery id, and reports per URL', async () => {
    script['/flaky'] = [503, 500];
    script['/bad'] = [400];
    const sender = new WebhookSender(
      [
        { url: `${base}/ok`, secret: 's1-secret-value' },
        { url: `${base}/flaky`, secret: 's2-secret-value' },
        { url: `${base}/bad`, secret: 's3-secret-value' },
      ],
      { clock, retries: 3, backoffMs: 200 },
    );
    const { outcome, elapsedMs } = await runWithClock(clock, sender.send(event), 200);
    expect(outcome.ok).toBe(true);
    const results = (outcome as { value: Awaited<ReturnType<WebhookSender['send']>> }).value;
    expect(results).toEqual([
      { url: `${base}/ok`, ok: true, status: 200, attempts: 1 },
      { url: `${base}/flaky`, ok: true, status: 200, attempts: 3 },
      { url: `${base}/bad`, ok: false, status: 400, attempts: 1, error: 'HTTP 400' },
    ]);
    expect(elapsedMs).toBeGreaterThanOrEqual(200 + 400);
    const flaky = received.filter((r) => r.path === '/flaky');
    expect(new Set(flaky.map((r) => r.headers['x-drawbridge-delivery'])).size).toBe(1);
    expect(received.map((r) => r.headers['x-drawbridge-delivery'])).toEqual(
      Array(5).fill(flaky[0]?.headers['x-drawbridge-delivery']),
    );
  });

  it('redacts secrets inside the event before it leaves the process', async () => {
    const sender = new WebhookSender([{ url: `${base}/r`, secret: 'whsec_redact_test_1' }], { clock });
    const leaky = { type: 'run:failed', error: 'connect postgres://app:hunter2secret@db:5432/shop failed' };
    const [result] = await sender.send(leaky);
    expect(result?.ok).toBe(true);
    expect(received[0]?.body).not.toContain('hunter2secret');
    expect(JSON.parse(received[0]?.body ?? '{}')).toEqual({
      type: 'run:failed',
      error: 'connect postgres://app:***@db:5432/shop failed',
    });
  });

  it('gives up after the bounded retries on an unreachable URL', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/hook`;
    await new Promise<void>((r) => gone.close(() => r()));
    const sender = new WebhookSender([{ url, secret: 'secret-for-gone' }], {
      clock,
      retries: 2,
      backoffMs: 50,
    });
    const { outcome } = await runWithClock(clock, sender.send(event), 50);
    const [result] = (outcome as { value: Awaited<ReturnType<WebhookSender['send']>> }).value;
    expect(result).toMatchObject({ url, ok: false, status: null, attempts: 3 });
    expect(result?.error).toMatch(/ECONNREFUSED/);
  });
});
