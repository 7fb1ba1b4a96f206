/**
 * `GET /metrics` and `GET /healthz` of a running bot (Slack emulator, real PostgreSQL): a deploy moves
 * the counters a scrape reads back; the metrics need the bearer token on the main port and are served
 * on their own port; `/healthz` turns 503 while a delivery is stuck past the outbox horizon (manual
 * clock) and 200 again once it is delivered.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/base/clock.js';
import { ManualTicker } from '../../src/core/ticker.js';
import { parsePrometheusText, type Sample } from '../../src/integrations/prometheus-text.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { requestAndApprove, waitForRunState } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const users = [
  { id: ALICE, name: 'alice' },
  { id: BOB, name: 'bob' },
];
const TOKEN = 'metrics-token-5d1e0c3a9b77';

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

async function scrape(port: number, token?: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await res.text()).samples;
}

describe('/metrics', () => {
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('metrics_deploy');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    bot = await startTestBot({
      mode: 'http',
      emulator: { users },
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
        },
      },
      config: { metrics: { tokenEnv: 'METRICS_TOKEN', port: 0 } },
      vars: { STAGING_DATABASE_URL: db.url, METRICS_TOKEN: TOKEN },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  it('requires the bearer token on the main port and never logs it', async () => {
    const url = `http://127.0.0.1:${bot.app.port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await scrape(bot.app.port, TOKEN)).length).toBeGreaterThan(0);
    expect(bot.logs.join('\n')).not.toContain(TOKEN);
  });

  it('counts a deploy: the run by environment and state, its steps, the approval wait and the ack', async () => {
    const finished = bot.app.bot.bus.waitFor('run:finished', () => true, 60_000);
    const { runId } = await requestAndApprove(bot, { requester: ALICE, approver: BOB });
    await finished;
    await waitForRunState(bot, runId, ['done']);

    const s = await scrape(bot.app.port, TOKEN);
    expect(value(s, 'drawbridge_runs_total', { environment: 'staging', state: 'done' })).toBe(1);
    expect(value(s, 'drawbridge_step_duration_seconds_count', { step: 'apply', state: 'succeeded' })).toBe(1);
    expect(value(s, 'drawbridge_step_duration_seconds_count', { step: 'preflight' })).toBeGreaterThan(0);
    expect(value(s, 'drawbridge_approval_wait_seconds_count', { environment: 'staging' })).toBe(1);
    expect(value(s, 'drawbridge_backup_size_bytes', { environment: 'staging' })).toBeGreaterThan(0);
    expect(value(s, 'drawbridge_command_ack_seconds_count', { command: 'deploy' })).toBeGreaterThan(0);
    expect(value(s, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('is served on its own port as well (with the token)', async () => {
    const port = bot.app.metricsPort as number;
    expect(port).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const s = await scrape(port, TOKEN);
    expect(value(s, 'drawbridge_runs_total', { environment: 'staging', state: 'done' })).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`)).status).toBe(404);
  });
});

describe('/metrics not configured', () => {
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('metrics_off');
    bot = await startTestBot({
      mode: 'http',
      environments: { staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations: fixture } },
      vars: { STAGING_DATABASE_URL: db.url },
      logLevel: 'warn',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  it('is not served at all', async () => {
    const res = await fetch(`http://127.0.0.1:${bot.app.port}/metrics`);
    expect(res.status).toBe(404);
    expect(bot.app.metricsPort).toBeUndefined();
  });
});

describe('/healthz and the outbox horizon', () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));
  const ticker = new ManualTicker({ warn: () => undefined }, () => clock.now());
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('metrics_health');
    bot = await startTestBot({
      mode: 'http',
      clock,
      ticker,
      emulator: { users },
      environments: { staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations: fixture } },
      config: { delivery: { horizonHours: 1 }, metrics: { tokenEnv: 'METRICS_TOKEN' } },
      vars: { STAGING_DATABASE_URL: db.url, METRICS_TOKEN: TOKEN },
      logLevel: 'warn',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  const health = async (): Promise<{ status: number; body: { ok: boolean; reason?: string } }> => {
    const res = await fetch(`http://127.0.0.1:${bot.app.port}/healthz`);
    return { status: res.status, body: (await res.json()) as { ok: boolean; reason?: string } };
  };

  it('answers 503 while a delivery is pending past the horizon, and 200 once it is delivered', async () => {
    const { emu } = bot;
    const worker = bot.app.bot.worker;
    expect(await health()).toEqual({ status: 200, body: { ok: true } });

    emu.injectFault('chat.postMessage', { kind: 'error', error: 'internal_error' }, 1000);
    bot.app.messenger.dm(BOB, 'a message Slack will not take for a while', 'health-test');
    await emu.waitFor(
      () => emu.calls.some((c) => c.method === 'chat.postMessage' && c.response?.ok === false),
      { what: 'a failed chat.postMessage' },
    );
    // Hold the worker so the item stays pending while the clock passes the horizon.
    await worker.stop();
    await clock.advance(61 * 60_000);
    await ticker.tick();

    const stuck = await health();
    expect(stuck.status).toBe(503);
    expect(stuck.body.ok).toBe(false);
    expect(stuck.body.reason).toMatch(
      /a delivery to slack:dm:U0BOB0001 has been pending for 61 min, past the 60 min horizon/,
    );
    const s = await scrape(bot.app.port, TOKEN);
    expect(
      value(s, 'drawbridge_delivery_errors_total', { service: 'slack', code: 'internal_error' }),
    ).toBeGreaterThan(0);
    expect(
      value(s, 'drawbridge_outbox_oldest_pending_age_seconds', { destination: 'slack:dm:U0BOB0001' }),
    ).toBeGreaterThanOrEqual(3660);

    emu.clearFaults('chat.postMessage');
    expect(await worker.drain(60_000)).toBe(0); // resolves when the item is delivered
    worker.start();
    expect(await health()).toEqual({ status: 200, body: { ok: true } });
  });

  it('answers 503 when the ticker has stopped for 3 minutes, and 200 after a tick', async () => {
    await clock.advance(3 * 60_000);
    const stale = await health();
    expect(stale.status).toBe(503);
    expect(stale.body.reason).toContain('scheduled work has not run for 3 min');
    await ticker.tick();
    expect((await health()).status).toBe(200);
  });
});
