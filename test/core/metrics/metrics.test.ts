/**
 * The bot's own metrics and health, without Slack: error codes, the health verdict over its facts,
 * the store write probe on a real SQLite file, the bearer check, and BotMetrics fed with events and
 * read back through the project's own Prometheus parser.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import { BotMetrics, errorCode } from '../../../src/core/metrics/bot-metrics.js';
import { HealthCheck, healthVerdict, probeStore, TICKER_STALE_MS } from '../../../src/core/metrics/health.js';
import { bearerMatches } from '../../../src/core/metrics/ops-endpoints.js';
import { parsePrometheusText, type Sample } from '../../../src/integrations/prometheus-text.js';
import type { OutboxLane } from '../../../src/store/outbox-store.js';
import type { RunRecord } from '../../../src/store/run-types.js';
import { Store } from '../../../src/store/store.js';

const T0 = Date.UTC(2026, 11, 1, 12);
const HOUR = 3_600_000;

function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

describe('errorCode', () => {
  it.each([
    ['channel_not_found', 'channel_not_found'],
    ['An API error occurred: not_in_channel', 'not_in_channel'],
    ['ratelimited', 'ratelimited'],
    ['connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'],
    ['HTTP 503 from https://api.statuspage.io', 'http_503'],
    ['Statuspage answered status 500', 'http_500'],
    ['something odd', 'other'],
  ])('%s → %s', (error, code) => {
    expect(errorCode(error)).toBe(code);
  });
});

describe('healthVerdict', () => {
  const base = { now: T0, startedAt: T0, lastTickAt: undefined, horizonMs: 24 * HOUR };

  it('is ok when every check passes', () => {
    expect(healthVerdict(base)).toEqual({ ok: true });
  });

  it('names a store that cannot be written', () => {
    const r = healthVerdict({ ...base, storeError: 'SQLITE_FULL: database or disk is full' });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems.map((p) => p.check)).toEqual(['store']);
    expect(r.ok ? '' : r.reason).toContain('disk is full');
  });

  it('gives a fresh ticker three minutes before it counts as stopped', () => {
    expect(healthVerdict({ ...base, now: T0 + TICKER_STALE_MS - 1 }).ok).toBe(true);
    const stale = healthVerdict({ ...base, now: T0 + TICKER_STALE_MS });
    expect(stale.ok ? '' : stale.reason).toBe(
      'scheduled work has not run for 3 min (the ticker fires every minute)',
    );
    expect(healthVerdict({ ...base, now: T0 + 10 * 60_000, lastTickAt: T0 + 9 * 60_000 }).ok).toBe(true);
    expect(healthVerdict({ ...base, now: T0 + 10 * 60_000, lastTickAt: T0 + 6 * 60_000 }).ok).toBe(false);
  });

  it('flags a delivery pending past the horizon, not one within it', () => {
    const pending = { destination: 'slack:C1', createdAt: T0 - HOUR };
    expect(healthVerdict({ ...base, horizonMs: HOUR, oldestPending: pending }).ok).toBe(true);
    const late = healthVerdict({ ...base, horizonMs: HOUR - 1, oldestPending: pending });
    expect(late.ok ? '' : late.reason).toContain('a delivery to slack:C1 has been pending for 60 min');
  });
});

describe('HealthCheck on a real store', () => {
  it('answers ok with a writable store and 503 once the store is closed', () => {
    const clock = new ManualClock(T0);
    const store = Store.open(mkdtempSync(join(tmpdir(), 'drawbridge-health-')), clock);
    const lanes: OutboxLane[] = [];
    const check = new HealthCheck({
      store,
      clock,
      outbox: { pending: () => lanes },
      ticker: { lastTickAt: undefined },
      horizonMs: HOUR,
    });
    expect(probeStore(store)).toBeUndefined();
    expect(check.check()).toEqual({ ok: true });
    lanes.push({ destination: 'webhook:0', count: 2, oldestCreatedAt: T0 - 2 * HOUR });
    expect(check.check()).toMatchObject({ ok: false, problems: [{ check: 'outbox' }] });
    lanes.pop();
    store.close();
    const r = check.check();
    expect(r).toMatchObject({ ok: false, problems: [{ check: 'store' }] });
  });
});

describe('bearerMatches', () => {
  it.each([
    ['Bearer s3cret-token', true],
    ['bearer s3cret-token', true],
    ['Bearer s3cret-tokeN', false],
    ['Bearer s3cret', false],
    ['Basic s3cret-token', false],
    [undefined, false],
    ['', false],
  ])('%s → %s', (header, ok) => {
    expect(bearerMatches(header, 's3cret-token')).toBe(ok);
  });
});

describe('BotMetrics', () => {
  it('counts runs, steps, approvals, backups, delivery errors and acks, and reads the outbox and ticker at scrape time', async () => {
    const clock = new ManualClock(T0);
    const run = {
      id: 'abcd0123',
      environment: 'staging',
      approvalRequestedAt: T0 - 90_000,
      backup: { sizeBytes: 4096 },
    } as unknown as RunRecord;
    const metrics = new BotMetrics({
      clock,
      outbox: {
        pending: () => [{ destination: 'slack:C0MIGRATE1', count: 3, oldestCreatedAt: T0 - 30_000 }],
      },
      ticker: { lastTickAt: T0 - 60_000 },
      findRun: (id) => (id === run.id ? run : undefined),
    });
    const ev = { runId: run.id };
    metrics.observe({ kind: 'run:approved', ...ev });
    metrics.observe({ kind: 'run:started', ...ev, environment: 'staging', migrations: [] });
    metrics.observe({
      kind: 'step:finished',
      ...ev,
      step: 'backup',
      state: 'succeeded',
      durationMs: 2500,
      summary: '4 KiB',
    });
    metrics.observe({
      kind: 'run:finished',
      ...ev,
      environment: 'staging',
      state: 'done',
      outcome: 'ok',
      started: true,
    });
    metrics.deliveryFailed('statuspage.incident', 'HTTP 503 from the page');
    const failing = metrics.countFailures(() =>
      Promise.resolve({ ok: false, retryable: true, error: 'internal_error' }),
    );
    await failing({ kind: 'slack.post' } as never, new AbortController().signal);
    metrics.ackTimer()('deploy');

    const parsed = parsePrometheusText(await metrics.text());
    const s = parsed.samples;
    expect(parsed.types.drawbridge_runs_total).toBe('counter');
    expect(sample(s, 'drawbridge_runs_total', { environment: 'staging', state: 'done' })).toBe(1);
    expect(sample(s, 'drawbridge_approval_wait_seconds_sum', { environment: 'staging' })).toBe(90);
    expect(sample(s, 'drawbridge_step_duration_seconds_count', { step: 'backup', state: 'succeeded' })).toBe(
      1,
    );
    expect(sample(s, 'drawbridge_backup_size_bytes', { environment: 'staging' })).toBe(4096);
    expect(sample(s, 'drawbridge_backup_duration_seconds', { environment: 'staging' })).toBe(2.5);
    expect(sample(s, 'drawbridge_delivery_errors_total', { service: 'statuspage', code: 'http_503' })).toBe(
      1,
    );
    expect(sample(s, 'drawbridge_delivery_errors_total', { service: 'slack', code: 'internal_error' })).toBe(
      1,
    );
    expect(sample(s, 'drawbridge_command_ack_seconds_count', { command: 'deploy' })).toBe(1);
    expect(sample(s, 'drawbridge_outbox_pending', { destination: 'slack:C0MIGRATE1' })).toBe(3);
    expect(
      sample(s, 'drawbridge_outbox_oldest_pending_age_seconds', { destination: 'slack:C0MIGRATE1' }),
    ).toBe(30);
    expect(sample(s, 'drawbridge_ticker_last_tick_timestamp_seconds')).toBe((T0 - 60_000) / 1000);
    expect(sample(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('keeps each bot in its own registry', async () => {
    const sources = {
      clock: new ManualClock(T0),
      outbox: { pending: () => [] },
      ticker: { lastTickAt: undefined },
      findRun: () => undefined,
    };
    const a = new BotMetrics(sources);
    const b = new BotMetrics(sources);
    a.ackTimer()('plan');
    const count = async (m: BotMetrics) =>
      sample(parsePrometheusText(await m.text()).samples, 'drawbridge_command_ack_seconds_count', {
        command: 'plan',
      });
    expect(await count(a)).toBe(1);
    expect(await count(b)).toBeUndefined();
  });
});
