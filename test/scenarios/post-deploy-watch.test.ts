/**
 * Issue 13 end to end: the post-deploy watch with a manual clock and ticker, a real PostgreSQL (one
 * database per behaviour), a loopback application (health and Prometheus metrics) and the Slack
 * emulator. A deploy with a `monitor` block goes `succeeded → monitoring`; every tick takes the
 * sample that is due; alerts, the summary and the chart arrive in the run's thread.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ManualClock } from '../../src/base/clock.js';
import { createLogger } from '../../src/base/logger.js';
import { quantile } from '../../src/core/monitor/summarize-watch.js';
import type { SampleData } from '../../src/core/monitor/types.js';
import { ManualTicker } from '../../src/core/ticker.js';
import { renderLineChartSvg } from '../../src/integrations/chart.js';
import { MonitorStore } from '../../src/store/monitor-store.js';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { startHttpTarget, type HttpTarget } from '../support/http-target.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  requestAndApprove,
  threadOf,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { SlackEmulator } from '../support/slack-emulator/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/monitor/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const MIN = 60_000;
const NOW = Date.UTC(2026, 5, 1, 9, 0);

interface World {
  db: TestDatabase;
  target: HttpTarget;
  clock: ManualClock;
  ticker: ManualTicker;
  bot: TestBot;
}
const worlds: World[] = [];
const emulators: SlackEmulator[] = [];

/** Requests the app got between samples: `ok` 2xx and `failed` 5xx, with latencies. */
function traffic(target: HttpTarget, ok: number, failed: number, latency = 0.05): void {
  target.incMetric('http_requests_total', ok, { status: '200' });
  if (failed) target.incMetric('http_requests_total', failed, { status: '500' });
  for (let i = 0; i < ok + failed; i++) target.observe('http_request_duration_seconds', latency);
}

async function world(name: string, monitor: Record<string, unknown>): Promise<World> {
  const db = await createTestDatabase(`watch_${name}`);
  await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
  const target = await startHttpTarget();
  target.defineHistogram('http_request_duration_seconds', [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  // The application's life before the deploy: the baseline (0.1 % errors, fast).
  traffic(target, 9990, 10, 0.05);
  const clock = new ManualClock(NOW);
  const ticker = new ManualTicker(createLogger({ level: 'silent' }), () => clock.now());
  const bot = await startTestBot({
    mode: 'http',
    clock,
    ticker,
    environments: {
      staging: {
        database: { urlEnv: 'STAGING_DATABASE_URL' },
        migrations: fixture,
        approvals: { required: 1, approvers: [BOB] },
        healthcheck: { url: target.healthUrl, retries: 0, timeoutMs: 2000 },
        monitor: { metricsUrl: target.metricsUrl, ...monitor },
      },
    },
    vars: { STAGING_DATABASE_URL: db.url },
    logLevel: 'info',
  });
  const w = { db, target, clock, ticker, bot };
  worlds.push(w);
  return w;
}

async function deploy(w: World): Promise<{ runId: string; ts: string }> {
  const r = await requestAndApprove(w.bot, { requester: ALICE, approver: BOB });
  await waitForRunState(w.bot, r.runId, ['monitoring', 'done', 'failed']);
  expect(w.bot.app.runs.find(r.runId)?.state).toBe('monitoring');
  return r;
}

/** The next minute(s) of the manual clock, then one tick. */
async function minutes(w: World, n: number): Promise<void> {
  await w.clock.advance(n * MIN);
  await w.ticker.tick();
}

function thread(w: World, ts: string): string[] {
  return threadOf(w.bot, CHANNEL, ts).map((m) => blocksText(m));
}

async function waitForThread(w: World, ts: string, pattern: RegExp, what: string): Promise<string> {
  return w.bot.emu.waitFor(() => thread(w, ts).find((t) => pattern.test(t)), { what, timeoutMs: 20_000 });
}

/** Bounded wait for a database state the test made (10 s). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.bot.stop();
    await w.target.close();
    await w.db.drop();
  }
  for (const e of emulators.splice(0)) await e.close();
});

describe('the post-deploy watch', () => {
  it('a compressed watch ends with one summary whose numbers are those of the recorded samples, and a chart', async () => {
    const w = await world('summary', { hours: 0.1, everyMinutes: 1 });
    const { runId, ts } = await deploy(w);
    const finished = w.bot.app.bot.bus.waitFor('monitor:finished', (e) => e.runId === runId, 60_000);
    const errorsPerMinute = [0, 1, 2, 0, 5, 1];
    for (const [i, failed] of errorsPerMinute.entries()) {
      traffic(w.target, 100 - failed, failed, 0.05 + i * 0.02);
      await minutes(w, 1);
      if (i === 2) {
        // Half way: /migrate watch shows the state so far.
        await w.bot.emu.slashCommand({ user: BOB, channel: CHANNEL, text: `watch ${runId}` });
        const soFar = await w.bot.emu.waitFor(
          () =>
            w.bot.emu
              .ephemerals({ user: BOB })
              .map((m) => blocksText(m))
              .find((t) => t.includes(`Watch of run ${runId} so far`)),
          { what: '/migrate watch', timeoutMs: 20_000 },
        );
        expect(soFar).toContain('3 sample(s) and 0 gap(s) of 3 slot(s)');
        expect(soFar).toMatch(/error rate\*: baseline 0\.1 % → min 0 %, median 1 %/);
      }
    }
    const { summary, chart } = await finished;
    await waitForRunState(w.bot, runId, ['done']);

    const samples = new MonitorStore(w.bot.deps.store).listSamples(runId);
    expect(samples.map((s) => s.kind)).toEqual(['sample', 'sample', 'sample', 'sample', 'sample', 'sample']);
    const rates = samples.map((s) => ((s.data as SampleData).http?.errorRate ?? NaN) * 100);
    // Counter deltas: each sample is the minute's own traffic.
    rates.forEach((r, i) => expect(r).toBeCloseTo(errorsPerMinute[i] as number, 10));
    const err = summary.metrics.find((m) => m.key === 'error_rate');
    expect(err).toMatchObject({
      samples: 6,
      min: Math.min(...rates),
      max: Math.max(...rates),
      median: quantile(rates, 0.5),
      p95: quantile(rates, 0.95),
      trend: 'rising',
    });
    expect(err?.baseline).toBeCloseTo(0.1, 10);
    const p95s = samples.map((s) => ((s.data as SampleData).http?.p95 ?? NaN) * 1000);
    expect(summary.metrics.find((m) => m.key === 'p95')).toMatchObject({
      median: quantile(p95s, 0.5),
      max: Math.max(...p95s),
    });
    expect(summary).toMatchObject({ slots: 6, samples: 6, gaps: 0 });

    const text = await waitForThread(w, ts, /The watch of run [0-9a-f]{8} ended/, 'the summary');
    expect(text).toContain('Watched staging for 0.1 h: 6 sample(s), 0 gap(s)');
    expect(text).toContain(`median ${quantile(rates, 0.5)} %`);
    expect(thread(w, ts).filter((t) => /The watch of run/.test(t))).toHaveLength(1);

    // The chart: a PNG in the thread, the deploy marked.
    const file = await w.bot.emu.waitFor(
      () => [...w.bot.emu.files.values()].find((f) => f.filename === `watch-${runId}.png` && f.completed),
      { what: 'the chart upload', timeoutMs: 30_000 },
    );
    const png = file.content as Buffer;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 480]);
    expect(chart.markers).toEqual([{ t: summary.startedAt, label: 'deploy' }]);
    expect(
      renderLineChartSvg({
        ...chart,
        series: chart.series.map((s) => ({ ...s, points: [...s.points] })),
        markers: [...chart.markers],
      }),
    ).toContain('deploy');
    expect(
      threadOf(w.bot, CHANNEL, ts).some((m) => m.files?.some((f) => f.name === `watch-${runId}.png`)),
    ).toBe(true);

    // /migrate history shows the watch.
    await w.bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'history staging' });
    const history = await w.bot.emu.waitFor(
      () =>
        w.bot.emu
          .ephemerals({ user: ALICE })
          .map((m) => blocksText(m))
          .find((t) => t.includes('History · staging')),
      { what: 'history', timeoutMs: 20_000 },
    );
    expect(history).toMatch(/Watched .* \(the watch time is up\) · 6 sample\(s\), 0 gap\(s\)/);
  }, 120_000);

  it('the index the migration created and the queries use is reported used; the other unused', async () => {
    const w = await world('indexes', { hours: 0.05, everyMinutes: 1 });
    const { runId } = await deploy(w);
    await w.db.query(
      `INSERT INTO "Order" ("userId", total) SELECT g % 50, g FROM generate_series(1, 2000) g`,
    );
    for (let i = 0; i < 3; i++)
      await w.db.query(`SET enable_seqscan = off; SELECT count(*) FROM "Order" WHERE "userId" = ${i}`);
    // The statistics are the server's: wait until it has counted the scans (sessions report at exit).
    await until(async () => {
      const r = await w.db.query<{ n: string }>(
        `SELECT idx_scan AS n FROM pg_stat_user_indexes WHERE indexrelname = 'Order_userId_idx'`,
      );
      return Number(r.rows[0]?.n ?? 0) >= 3;
    }, 'the index scans counted');
    const finished = w.bot.app.bot.bus.waitFor('monitor:finished', (e) => e.runId === runId, 60_000);
    for (let i = 0; i < 3; i++) await minutes(w, 1);
    const { summary } = await finished;
    const used = summary.indexes.find((i) => i.name === 'Order_userId_idx');
    const unused = summary.indexes.find((i) => i.name === 'Order_total_idx');
    expect(used?.scans).toBeGreaterThanOrEqual(3);
    expect(unused?.scans).toBe(0);
    expect(summary.sentences).toContain(`New index \`Order_userId_idx\` used ${used?.scans} times.`);
    expect(summary.sentences).toContain(
      'New index `Order_total_idx` not used (0 scans): check the queries meant to use it.',
    );
    expect(summary.tables.map((t) => t.name)).toEqual(['public.Order']);
  }, 120_000);

  it('an error-rate jump raises exactly one alert within the hour, and held locks their own', async () => {
    const w = await world('alerts', { hours: 2, everyMinutes: 5, thresholds: { lockWaiters: 1 } });
    const { runId, ts } = await deploy(w);
    // 20 % errors from the deploy on, for an hour.
    for (let i = 0; i < 12; i++) {
      traffic(w.target, 80, 20);
      await minutes(w, 5);
    }
    await waitForThread(w, ts, /Watch alert: Error rate/, 'the error-rate alert');
    const errorAlerts = thread(w, ts).filter((t) => /Watch alert: Error rate/.test(t));
    expect(errorAlerts).toHaveLength(1);
    expect(errorAlerts[0]).toContain('Error rate is 20.0 % (20 of 100 requests since the last sample)');
    const alertMsg = threadOf(w.bot, CHANNEL, ts).find((m) => /Watch alert: Error rate/.test(blocksText(m)));
    expect(buttonsOf(alertMsg)).toEqual(['run_restore', 'run_stop_watching']);

    // A session holds a lock on the new table; another waits for it.
    const holder = new pg.Client({ connectionString: w.db.url });
    const waiter = new pg.Client({ connectionString: w.db.url });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE "Order" IN ACCESS EXCLUSIVE MODE');
      const waiting = waiter.query('SELECT count(*) FROM "Order"').catch(() => undefined);
      await until(async () => {
        const r = await w.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [w.db.name],
        );
        return (r.rows[0]?.n ?? 0) > 0;
      }, 'a session waiting on the lock');
      traffic(w.target, 100, 0);
      await minutes(w, 5);
      await holder.query('ROLLBACK');
      await waiting;
    } finally {
      await holder.end();
      await waiter.end();
    }
    const lock = await waitForThread(w, ts, /Watch alert: Lock waits/, 'the lock alert');
    expect(lock).toContain('1 session(s) are waiting on a lock');
    expect(thread(w, ts).filter((t) => /Watch alert: Error rate/.test(t))).toHaveLength(1);

    // The run message offers Restore backup and Stop watching while the run is watched.
    const runMsg = w.bot.emu.transcript(CHANNEL).find((m) => m.ts === ts);
    expect(buttonsOf(runMsg)).toEqual(expect.arrayContaining(['run_restore', 'run_stop_watching']));
    await w.bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_stop_watching',
      value: runId,
    });
    await waitForRunState(w.bot, runId, ['done']);
    const summary = await waitForThread(w, ts, /The watch of run [0-9a-f]{8} ended/, 'the summary');
    expect(summary).toContain('stopped by @U0ALICE01');
    expect(summary).toContain('2 alert(s)');
  }, 120_000);

  it('a deadlock after the deploy raises its own alert', async () => {
    const w = await world('deadlock', { hours: 1, everyMinutes: 5 });
    const { ts } = await deploy(w);
    await w.db.query(`INSERT INTO "Order" (id, "userId") VALUES (1, 1), (2, 2)`);
    const a = new pg.Client({ connectionString: w.db.url });
    const b = new pg.Client({ connectionString: w.db.url });
    await a.connect();
    await b.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(`UPDATE "Order" SET total = 1 WHERE id = 1`);
      await b.query(`UPDATE "Order" SET total = 2 WHERE id = 2`);
      // Each waits for the other: PostgreSQL cancels one of them after deadlock_timeout.
      const outcomes = await Promise.allSettled([
        a.query(`UPDATE "Order" SET total = 1 WHERE id = 2`),
        b.query(`UPDATE "Order" SET total = 2 WHERE id = 1`),
      ]);
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    } finally {
      await a.end();
      await b.end();
    }
    await until(async () => {
      const r = await w.db.query<{ n: string }>(
        'SELECT deadlocks AS n FROM pg_stat_database WHERE datname = $1',
        [w.db.name],
      );
      return Number(r.rows[0]?.n ?? 0) >= 1;
    }, 'the deadlock counted');
    traffic(w.target, 100, 0);
    await minutes(w, 5);
    const text = await waitForThread(w, ts, /Watch alert: Deadlocks/, 'the deadlock alert');
    expect(text).toContain('1 deadlock(s) since the last sample');
    expect(thread(w, ts).filter((t) => /Watch alert/.test(t))).toHaveLength(1);
  }, 120_000);

  it('with uploads failing, the chart comes as text instead', async () => {
    const w = await world('fallback', { hours: 0.05, everyMinutes: 1 });
    const { ts } = await deploy(w);
    w.bot.emu.injectFault('files.getUploadURLExternal', { kind: 'error', error: 'missing_scope' }, 5);
    for (let i = 0; i < 3; i++) {
      traffic(w.target, 50, 0);
      await minutes(w, 1);
    }
    const text = await waitForThread(w, ts, /The chart could not be uploaded/, 'the text fallback');
    expect(text).toContain('error rate');
    expect(text).toContain('missing_scope');
    expect([...w.bot.emu.files.values()].filter((f) => f.completed)).toEqual([]);
  }, 120_000);

  it('a restart mid-watch resumes, shows the missed samples as gaps, and ends with one summary', async () => {
    const w = await world('restart', { hours: 0.1, everyMinutes: 1 });
    const { runId, ts } = await deploy(w);
    for (let i = 0; i < 2; i++) {
      traffic(w.target, 100, 0);
      await minutes(w, 1);
    }
    await w.bot.stop(true);
    // Down for three minutes.
    await w.clock.advance(3 * MIN);
    const ticker = new ManualTicker(createLogger({ level: 'silent' }), () => w.clock.now());
    const again = await startTestBot({
      mode: 'http',
      clock: w.clock,
      ticker,
      restartOf: { dir: dirname(w.bot.dataDir), emu: w.bot.emu },
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
          healthcheck: { url: w.target.healthUrl, retries: 0, timeoutMs: 2000 },
          monitor: { metricsUrl: w.target.metricsUrl, hours: 0.1, everyMinutes: 1 },
        },
      },
      vars: { STAGING_DATABASE_URL: w.db.url },
      logLevel: 'info',
    });
    emulators.push(w.bot.emu);
    w.bot = again;
    w.ticker = ticker;
    expect(again.app.runs.find(runId)?.state).toBe('monitoring');
    const finished = again.app.bot.bus.waitFor('monitor:finished', (e) => e.runId === runId, 60_000);
    traffic(w.target, 100, 0);
    await ticker.tick();
    traffic(w.target, 100, 0);
    await minutes(w, 1);
    const { summary } = await finished;
    expect(summary).toMatchObject({ slots: 6, samples: 4, gaps: 2 });
    const samples = new MonitorStore(again.deps.store).listSamples(runId);
    expect(samples.map((s) => s.kind)).toEqual(['sample', 'sample', 'gap', 'gap', 'sample', 'sample']);
    await waitForRunState(again, runId, ['done']);
    await minutes(w, 1);
    const text = await waitForThread(w, ts, /The watch of run [0-9a-f]{8} ended/, 'the summary');
    expect(text).toContain('2 of 6 sample(s) missing');
    await again.app.messenger.flush();
    expect(thread(w, ts).filter((t) => /The watch of run/.test(t))).toHaveLength(1);
  }, 120_000);
});
