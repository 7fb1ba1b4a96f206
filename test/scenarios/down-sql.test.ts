/**
 * Issue 14, down.sql: the rehearsal applies each migration's down.sql after the plan (newest first)
 * and checks that the schema equals the one before the migration; a down.sql that does not restore it
 * is flagged on the run message. Revert with down.sql in Slack, behind the typed confirmation, runs
 * the down files in reverse order and leaves the ledger as `prisma migrate resolve --rolled-back`
 * would and the schema as before the run.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getStatus } from '../../src/migrations/get-status.js';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  currentMessage,
  runIdOf,
  waitForRunMessage,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/rehearsal/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

function schemaOf(url: string): string {
  const u = new URL(url);
  const out = execFileSync(
    'pg_dump',
    [
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      '-h',
      u.hostname,
      '-p',
      u.port,
      '-U',
      u.username,
      u.pathname.slice(1),
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter(
      (l) =>
        l &&
        !l.startsWith('--') &&
        !l.startsWith('SET ') &&
        !l.startsWith('SELECT pg_catalog') &&
        !l.startsWith('\\'),
    )
    .join('\n');
}

describe('down.sql', () => {
  let good: TestDatabase;
  let goodShadow: TestDatabase;
  let wrong: TestDatabase;
  let wrongShadow: TestDatabase;
  let bot: TestBot;
  let wrongDir: string;

  beforeAll(async () => {
    [good, goodShadow, wrong, wrongShadow] = await Promise.all([
      createTestDatabase('down_good'),
      createTestDatabase('down_good_shadow'),
      createTestDatabase('down_wrong'),
      createTestDatabase('down_wrong_shadow'),
    ]);
    wrongDir = join(mkdtempSync(join(tmpdir(), 'drawbridge-down-')), 'migrations');
    cpSync(fixture, wrongDir, { recursive: true });
    // Forgets the column: the schema after it is not the one before the migration.
    writeFileSync(join(wrongDir, '20250201000000_user_nickname', 'down.sql'), 'SELECT 1;\n');
    for (const d of [good, wrong]) {
      await seedLedger(d.url, fixture, { applied: ['20250101000000_init'] });
      await d.query(
        `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 50) g`,
      );
    }
    bot = await startTestBot({
      mode: 'http',
      emulator: {
        users: [
          { id: ALICE, name: 'alice' },
          { id: BOB, name: 'bob' },
        ],
      },
      environments: {
        good: {
          database: { urlEnv: 'GOOD_URL' },
          shadowDatabase: { urlEnv: 'GOOD_SHADOW_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
        },
        wrong: {
          database: { urlEnv: 'WRONG_URL' },
          shadowDatabase: { urlEnv: 'WRONG_SHADOW_URL' },
          migrations: wrongDir,
          approvals: { required: 1, approvers: [BOB] },
        },
      },
      vars: {
        GOOD_URL: good.url,
        GOOD_SHADOW_URL: goodShadow.url,
        WRONG_URL: wrong.url,
        WRONG_SHADOW_URL: wrongShadow.url,
      },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await Promise.all([good, goodShadow, wrong, wrongShadow].map((d) => d?.drop()));
  });

  async function request(environment: string, n: number): Promise<{ runId: string; ts: string }> {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `deploy ${environment}` });
    const msg = await waitForRunMessage(bot, CHANNEL, n);
    const runId = runIdOf(msg);
    await bot.emu.waitFor(
      () => {
        const r = bot.app.runs.rehearsals.store.latestForRun(runId);
        return r && r.state !== 'running' ? r : undefined;
      },
      { what: `the rehearsal of run ${runId}`, timeoutMs: 60_000 },
    );
    await bot.app.messenger.flush(runId);
    return { runId, ts: msg.ts };
  }

  it('flags a down.sql that does not restore the schema on the run message', async () => {
    const { runId, ts } = await request('wrong', 1);
    const row = bot.app.runs.rehearsals.store.latestForRun(runId);
    const downs = (
      row?.result as { migrations: { name: string; down?: { outcome: string } }[] }
    ).migrations.map((m) => [m.name, m.down?.outcome]);
    expect(downs).toEqual([
      ['20250201000000_user_nickname', 'differs'],
      ['20250202000000_user_email_key', 'restored'],
    ]);
    const text = blocksText(currentMessage(bot, CHANNEL, ts));
    expect(text).toContain(
      'down.sql of `20250201000000_user_nickname`: down.sql does not restore the schema',
    );
    expect(text).toContain('column `User.nickname` is still there after down.sql');
  }, 90_000);

  it('up + down restores the schema in the rehearsal; Revert with down.sql in Slack restores it in production', async () => {
    const before = schemaOf(good.url);
    const { runId, ts } = await request('good', 2);
    const row = bot.app.runs.rehearsals.store.latestForRun(runId);
    expect(row?.state).toBe('succeeded');
    const outcomes = (row?.result as { migrations: { down?: { outcome: string } }[] }).migrations.map(
      (m) => m.down?.outcome,
    );
    expect(outcomes).toEqual(['restored', 'restored']);
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_approve',
      value: runId,
    });
    await waitForRunState(bot, runId, ['done'], 90_000);
    await bot.app.messenger.flush(runId);
    expect(schemaOf(good.url)).not.toEqual(before);
    expect(buttonsOf(currentMessage(bot, CHANNEL, ts))).toContain('run_revert_down');

    // The modal names what the down files drop, newest first, and wants the exact phrase.
    await bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_revert_down',
      value: runId,
    });
    const view = await bot.emu.waitFor(
      () => [...bot.emu.views.values()].find((v) => v.open && v.user === ALICE),
      { what: 'revert modal' },
    );
    const modal = JSON.stringify(view.view.blocks);
    expect(modal).toContain('`20250202000000_user_email_key`, then `20250201000000_user_nickname`');
    expect(modal).toContain('DROP INDEX `\\"User_email_key\\"`');
    expect(modal).toContain('DROP COLUMN `\\"User\\".nickname` — 50 non-null values deleted');
    const refused = await bot.emu.submitView({
      user: ALICE,
      viewId: view.id,
      values: { confirm: { confirm_text: 'revert good' } },
    });
    expect(refused.json).toEqual({
      response_action: 'errors',
      errors: { confirm: 'Type REVERT good exactly to confirm.' },
    });
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('done');
    await bot.emu.submitView({
      user: ALICE,
      viewId: view.id,
      values: { confirm: { confirm_text: 'REVERT good' } },
    });
    const reverted = await waitForRunState(bot, runId, ['rolled_back'], 60_000);
    expect(reverted.outcome).toContain('reverted with down.sql');

    // The schema is as before the run; the ledger as `resolve --rolled-back` leaves it.
    expect(schemaOf(good.url)).toEqual(before);
    const ledger = await good.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
      `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM "_prisma_migrations" ORDER BY started_at`,
    );
    expect(ledger.rows).toEqual([
      { migration_name: '20250101000000_init', finished: true, rolled_back: false },
      { migration_name: '20250201000000_user_nickname', finished: true, rolled_back: true },
      { migration_name: '20250202000000_user_email_key', finished: true, rolled_back: true },
    ]);
    const status = await getStatus({ databaseUrl: good.url, migrationsDir: fixture });
    expect(status.toApply).toEqual(['20250201000000_user_nickname', '20250202000000_user_email_key']);
    expect(status.blocking).toEqual([]);

    // Deployed again: the run's verified backup is recent, so the next rehearsal restores it.
    const again = await request('good', 3);
    const second = bot.app.runs.rehearsals.store.latestForRun(again.runId);
    expect(second?.state).toBe('succeeded');
    expect((second?.result as { source: { kind: string; runId: string } }).source).toMatchObject({
      kind: 'backup',
      runId,
    });
    expect(blocksText(currentMessage(bot, CHANNEL, again.ts))).toMatch(
      /Rehearsed on a copy of good \(backup from \d\d:\d\d UTC, \d+ kB\): 2 migrations applied/,
    );
  }, 180_000);
});
