/**
 * Scenarios of issue 5: a failing migration → the run stops, later steps are not run, the ways back
 * are offered → Restore backup (typed confirmation) → the database is identical to before (schema
 * dump and row counts); Cancel during apply cancels the running statement; `/migrate cancel` before
 * approval; two deploys to one environment at once → one refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  currentMessage,
  ephemeralTexts,
  runIdOf,
  runMessages,
  threadOf,
  waitForActiveQuery,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const failing = join(here, '../fixtures/deploy/failing');
const slow = join(here, '../fixtures/deploy/cancel');
const good = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

/** The schema as pg_dump prints it, without comments and SET lines, and exact row counts. */
function schemaOf(url: string): string {
  const u = new URL(url);
  const args = [
    '--schema-only',
    '--no-owner',
    '--no-privileges',
    '-h',
    u.hostname,
    '-p',
    u.port,
    '-U',
    u.username,
  ];
  const out = execFileSync('pg_dump', [...args, u.pathname.slice(1)], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
  });
  return out
    .split('\n')
    .filter((l) => l.trim() && !/^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )/.test(l))
    .join('\n');
}

async function rowCounts(db: TestDatabase): Promise<Record<string, number>> {
  const tables = await db.query<{ t: string }>(
    `select quote_ident(table_name) as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const out: Record<string, number> = {};
  for (const { t } of tables.rows)
    out[t] = Number((await db.query<{ n: string }>(`select count(*)::text as n from ${t}`)).rows[0]?.n);
  return out;
}

async function requestAndApprove(
  bot: TestBot,
  env: string,
  n: number,
): Promise<{ runId: string; ts: string }> {
  await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `deploy ${env}` });
  const msg = await bot.emu.waitFor(
    () => runMessages(bot, CHANNEL).filter((m) => blocksText(m).includes(`Deploy to ${env}`))[n - 1],
    {
      what: `run message for ${env}`,
      timeoutMs: 20_000,
    },
  );
  const runId = runIdOf(msg);
  await bot.emu.clickButton({
    user: BOB,
    channel: CHANNEL,
    messageTs: msg.ts,
    actionId: 'run_approve',
    value: runId,
  });
  return { runId, ts: msg.ts };
}

describe('failures and the ways back', () => {
  let dbFail: TestDatabase;
  let dbSlow: TestDatabase;
  let dbBusy: TestDatabase;
  let bot: TestBot;
  let work: string;

  beforeAll(async () => {
    dbFail = await createTestDatabase('deploy_fail');
    dbSlow = await createTestDatabase('deploy_cancel');
    dbBusy = await createTestDatabase('deploy_busy');
    await seedLedger(dbFail.url, failing, { applied: ['20250101000000_init'] });
    await seedLedger(dbSlow.url, slow, { applied: ['20250101000000_init'] });
    await seedLedger(dbBusy.url, good, { applied: ['20250101000000_init'] });
    for (const d of [dbFail, dbSlow, dbBusy]) {
      await d.query(
        `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 40) g`,
      );
    }
    work = mkdtempSync(join(tmpdir(), 'drawbridge-fail-'));
    const approvals = { required: 1, approvers: [BOB] };
    bot = await startTestBot({
      mode: 'http',
      environments: {
        failing: {
          database: { urlEnv: 'FAIL_DATABASE_URL' },
          migrations: failing,
          approvals,
          criticalTables: ['User'],
          maintenance: {
            on: ['touch', join(work, 'maintenance')],
            off: ['rm', '-f', join(work, 'maintenance')],
            offOnFailure: false,
          },
        },
        slow: { database: { urlEnv: 'SLOW_DATABASE_URL' }, migrations: slow, approvals },
        busy: { database: { urlEnv: 'BUSY_DATABASE_URL' }, migrations: good, approvals },
      },
      vars: { FAIL_DATABASE_URL: dbFail.url, SLOW_DATABASE_URL: dbSlow.url, BUSY_DATABASE_URL: dbBusy.url },
      logLevel: 'info',
      emulator: {
        users: [
          { id: ALICE, name: 'alice' },
          { id: BOB, name: 'bob' },
          { id: 'U0ZED0001', name: 'zed' },
        ],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    for (const d of [dbFail, dbSlow, dbBusy]) await d?.drop();
  });

  it('a failing migration stops the run, offers the ways back, and Restore brings the database back exactly', async () => {
    const schemaBefore = schemaOf(dbFail.url);
    const countsBefore = await rowCounts(dbFail);
    const { runId, ts } = await requestAndApprove(bot, 'failing', 1);
    const run = await waitForRunState(bot, runId, ['failed', 'done']);
    expect(run.state).toBe('failed');
    expect(run.outcome).toContain('20250103000000_bad_backfill');
    await bot.app.messenger.flush(runId);

    const steps = bot.app.runs.runs.listSteps(runId).map((s) => [s.name, s.state]);
    expect(steps).toEqual([
      ['preflight', 'succeeded'],
      ['announce', 'succeeded'],
      ['maintenance_on', 'succeeded'],
      ['backup', 'succeeded'],
      ['apply', 'failed'],
      ['verify', 'not_run'],
      ['maintenance_off', 'not_run'],
      ['post_deploy', 'not_run'],
      ['health_check', 'not_run'],
      ['close', 'not_run'],
    ]);
    const msg = currentMessage(bot, CHANNEL, ts);
    const text = blocksText(msg);
    expect(text).toContain('42P01');
    expect(text).toContain('Membership');
    expect(buttonsOf(msg)).toEqual([
      'run_mark_rolled_back',
      'run_maintenance_off',
      'run_restore',
      'run_retry',
    ]);
    const thread = threadOf(bot, CHANNEL, ts)
      .map((r) => blocksText(r))
      .join('\n');
    expect(thread).toContain('still on');
    expect(thread).toContain('pg_restore --clean --if-exists --single-transaction');
    // The orders migration was applied before the failure: the database is not as before.
    expect(schemaOf(dbFail.url)).not.toEqual(schemaBefore);

    // Restore: the modal wants the exact phrase.
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_restore',
      value: runId,
    });
    const view = await bot.emu.waitFor(
      () => [...bot.emu.views.values()].find((v) => v.open && v.user === BOB),
      { what: 'restore modal' },
    );
    const wrong = await bot.emu.submitView({
      user: BOB,
      viewId: view.id,
      values: { confirm: { confirm_text: 'restore failing' } },
    });
    expect(wrong.json).toEqual({
      response_action: 'errors',
      errors: { confirm: 'Type RESTORE failing exactly to confirm.' },
    });
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('failed');
    const ok = await bot.emu.submitView({
      user: BOB,
      viewId: view.id,
      values: { confirm: { confirm_text: 'RESTORE failing' } },
    });
    expect(ok.status).toBe(200);
    const restored = await waitForRunState(bot, runId, ['restored'], 60_000);
    expect(restored.outcome).toContain('restored from');
    expect(restored.outcome).not.toContain('differences');
    expect(schemaOf(dbFail.url)).toEqual(schemaBefore);
    expect(await rowCounts(dbFail)).toEqual(countsBefore);
    await bot.app.messenger.flush(runId);
    const after = threadOf(bot, CHANNEL, ts)
      .map((r) => blocksText(r))
      .join('\n');
    expect(after).toContain('Schema and the row count of every table match the snapshot');
    expect(buttonsOf(currentMessage(bot, CHANNEL, ts))).toEqual(['run_maintenance_off', 'run_retry']);

    // Retry asks for a new approval of a fresh plan (the failing migration is pending again).
    await bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_retry',
      value: runId,
    });
    const retry = await bot.emu.waitFor(
      () => runMessages(bot, CHANNEL).filter((m) => blocksText(m).includes('Deploy to failing'))[1],
      { what: 'retry run message' },
    );
    expect(blocksText(retry)).toContain(`retry of run ${runId}`);
    expect(blocksText(retry)).toContain('20250103000000_bad_backfill');
    expect(buttonsOf(retry)).toEqual(['run_approve', 'run_reject', 'run_cancel']);
  }, 90_000);

  it('Cancel during apply cancels the running statement; the failed row is then marked rolled back', async () => {
    const { runId, ts } = await requestAndApprove(bot, 'slow', 1);
    await bot.emu.waitFor(
      () => bot.app.runs.runs.listSteps(runId).find((s) => s.name === 'apply' && s.state === 'running'),
      { what: 'apply running', timeoutMs: 20_000 },
    );
    // This database's session only: another file runs the same slow fixture beside this one.
    await waitForActiveQuery(dbSlow, '%pg_sleep(20)%');
    await bot.emu.waitFor(
      () => buttonsOf(currentMessage(bot, CHANNEL, ts)).includes('run_cancel') || undefined,
      { what: 'cancel button' },
    );
    await bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_cancel',
      value: runId,
    });
    const run = await waitForRunState(bot, runId, ['cancelled', 'failed', 'done'], 15_000);
    expect(run.state).toBe('cancelled');
    expect(run.outcome).toContain('statement was cancelled');
    const col = await dbSlow.query(
      `select 1 from information_schema.columns where table_name = 'User' and column_name = 'score'`,
    );
    expect(col.rowCount).toBe(0);
    await bot.app.messenger.flush(runId);
    expect(buttonsOf(currentMessage(bot, CHANNEL, ts))).toEqual([
      'run_mark_rolled_back',
      'run_restore',
      'run_retry',
    ]);
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_mark_rolled_back',
      value: runId,
    });
    const back = await waitForRunState(bot, runId, ['rolled_back'], 20_000);
    expect(back.outcome).toContain('20250102000000_slow_backfill');
    const rows = await dbSlow.query<{ rolled_back_at: Date | null }>(
      `select rolled_back_at from _prisma_migrations where migration_name = '20250102000000_slow_backfill'`,
    );
    expect(rows.rows.map((r) => r.rolled_back_at !== null)).toEqual([true]);
  }, 60_000);

  it('/migrate cancel stops a run before it starts; a stranger cannot cancel', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy busy' });
    const msg = await bot.emu.waitFor(
      () => runMessages(bot, CHANNEL).find((m) => blocksText(m).includes('Deploy to busy')),
      { what: 'busy run' },
    );
    const runId = runIdOf(msg);
    await bot.emu.slashCommand({ user: 'U0ZED0001', channel: CHANNEL, text: `cancel ${runId}` });
    await bot.emu.waitFor(() => ephemeralTexts(bot, 'U0ZED0001').find((t) => t.includes('can cancel run')), {
      what: 'stranger refused',
    });
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('awaiting_approval');
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `cancel ${runId}` });
    const cancelled = await waitForRunState(bot, runId, ['cancelled']);
    expect(cancelled.outcome).toContain('before it started');
    await bot.emu.waitFor(
      () => ephemeralTexts(bot, ALICE).find((t) => t.includes(`Run ${runId} (busy) is cancelled`)),
      { what: 'cancel answer' },
    );
    await bot.emu.waitFor(
      () => buttonsOf(currentMessage(bot, CHANNEL, msg.ts)).join() === 'run_retry' || undefined,
      { what: 'message updated' },
    );
  }, 30_000);

  it('two deploys to one environment at once: one runs, the other is refused', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy busy first' });
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy busy second' });
    const msgs = await bot.emu.waitFor(
      () => {
        const open = runMessages(bot, CHANNEL).filter(
          (m) => blocksText(m).includes('Deploy to busy') && buttonsOf(m).includes('run_approve'),
        );
        return open.length >= 2 ? open : undefined;
      },
      { what: 'two busy runs' },
    );
    const ids = msgs.map(runIdOf);
    await Promise.all(
      msgs.map((m, i) =>
        bot.emu.clickButton({
          user: BOB,
          channel: CHANNEL,
          messageTs: m.ts,
          actionId: 'run_approve',
          value: ids[i],
        }),
      ),
    );
    const ends = await Promise.all(ids.map((id) => waitForRunState(bot, id, ['done', 'failed'])));
    const states = ends.map((r) => r.state).sort();
    expect(states).toEqual(['done', 'failed']);
    const refused = ends.find((r) => r.state === 'failed');
    expect(refused?.outcome).toMatch(/ENVIRONMENT_BUSY|is working on busy/);
    const ledger = await dbBusy.query<{ n: string }>(`select count(*)::text as n from _prisma_migrations`);
    expect(ledger.rows[0]?.n).toBe('3');
  }, 60_000);
});
