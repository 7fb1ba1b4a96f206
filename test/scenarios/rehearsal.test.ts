/**
 * Issue 14, the rehearsal: a deploy request rehearses its plan on the environment's shadow database (a
 * second database the test creates) before anyone approves. A unique index over duplicated rows fails
 * there, the run message names the duplicate key, and production is untouched; the same plan over
 * clean rows rehearses green with each migration's time, rows and locks.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  currentMessage,
  ephemeralTexts,
  runIdOf,
  threadOf,
  waitForRunMessage,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/rehearsal/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('the rehearsal on the shadow database', () => {
  let prod: TestDatabase;
  let prodShadow: TestDatabase;
  let staging: TestDatabase;
  let stagingShadow: TestDatabase;
  let schemaShadow: TestDatabase;
  let cancelShadow: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    [prod, prodShadow, staging, stagingShadow, schemaShadow, cancelShadow] = await Promise.all([
      createTestDatabase('reh_prod'),
      createTestDatabase('reh_prod_shadow'),
      createTestDatabase('reh_stag'),
      createTestDatabase('reh_stag_shadow'),
      createTestDatabase('reh_schema_shadow'),
      createTestDatabase('reh_cancel_shadow'),
    ]);
    // A shadow marked on an earlier use, with a table the test can lock to hold its reset.
    await cancelShadow.query(`COMMENT ON DATABASE "${cancelShadow.name}" IS 'drawbridge shadow of cancelme'`);
    await cancelShadow.query('CREATE TABLE blocker (id int)');
    for (const d of [prod, staging]) await seedLedger(d.url, fixture, { applied: ['20250101000000_init'] });
    await prod.query(
      `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 200) g`,
    );
    await prod.query(`INSERT INTO "User" (email) VALUES ('dup@example.com'), ('dup@example.com')`);
    await staging.query(
      `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 200) g`,
    );
    const env = (urlEnv: string, shadowEnv: string) => ({
      database: { urlEnv },
      shadowDatabase: { urlEnv: shadowEnv },
      migrations: fixture,
      approvals: { required: 1, approvers: [BOB] },
    });
    bot = await startTestBot({
      mode: 'http',
      emulator: {
        users: [
          { id: ALICE, name: 'alice' },
          { id: BOB, name: 'bob' },
        ],
      },
      environments: {
        production: env('PROD_URL', 'PROD_SHADOW_URL'),
        staging: env('STAGING_URL', 'STAGING_SHADOW_URL'),
        // The same production, rehearsed on its schema and ledger only.
        schemaonly: { ...env('PROD_URL', 'SCHEMA_SHADOW_URL'), rehearsal: { data: 'schema-only' } },
        cancelme: env('STAGING_URL', 'CANCEL_SHADOW_URL'),
      },
      vars: {
        PROD_URL: prod.url,
        PROD_SHADOW_URL: prodShadow.url,
        STAGING_URL: staging.url,
        STAGING_SHADOW_URL: stagingShadow.url,
        SCHEMA_SHADOW_URL: schemaShadow.url,
        CANCEL_SHADOW_URL: cancelShadow.url,
      },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await Promise.all(
      [prod, prodShadow, staging, stagingShadow, schemaShadow, cancelShadow].map((d) => d?.drop()),
    );
  });

  async function requestAndWait(environment: string, n: number): Promise<{ runId: string; ts: string }> {
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

  it('fails on duplicated rows, names the duplicate key, and leaves production untouched', async () => {
    const { runId, ts } = await requestAndWait('production', 1);
    const row = bot.app.runs.rehearsals.store.latestForRun(runId);
    expect(row?.state).toBe('failed');
    const text = await bot.emu.waitFor(
      () => {
        const t = blocksText(currentMessage(bot, CHANNEL, ts));
        return t.includes('Rehearsal on a copy of production') ? t : undefined;
      },
      { what: 'the rehearsal on the run message' },
    );
    expect(text).toContain('20250202000000_user_email_key');
    expect(text).toContain('Key (email)=(dup@example.com) is duplicated.');
    expect(text).toContain('The row that broke it');
    const thread = threadOf(bot, CHANNEL, ts)
      .map((m) => blocksText(m))
      .join('\n');
    expect(thread).toContain('20250201000000_user_nickname applied in');
    // Production: only the baseline in the ledger, no new column, no index.
    const ledger = await prod.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" ORDER BY started_at',
    );
    expect(ledger.rows.map((r) => r.migration_name)).toEqual(['20250101000000_init']);
    const cols = await prod.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'nickname'`,
    );
    expect(cols.rowCount).toBe(0);
    const idx = await prod.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'User_email_key'`);
    expect(idx.rowCount).toBe(0);
    // The shadow holds the copy with the first migration applied, and no index.
    const shadowCols = await prodShadow.query(
      `SELECT count(*)::int AS n FROM "User" WHERE nickname IS NOT NULL`,
    );
    expect(shadowCols.rows[0]).toEqual({ n: 202 });
  }, 90_000);

  it('rehearses the same plan over clean rows green, with per-migration times', async () => {
    const { runId, ts } = await requestAndWait('staging', 2);
    const row = bot.app.runs.rehearsals.store.latestForRun(runId);
    expect(row?.state).toBe('succeeded');
    const result = row?.result as {
      source: { kind: string };
      migrations: {
        name: string;
        outcome: string;
        durationMs: number;
        rows: { command: string; rows: number }[];
        locks: { table: string; mode: string }[];
        down?: { outcome: string };
      }[];
    };
    expect(result.source.kind).toBe('dump');
    expect(result.migrations.map((m) => [m.name, m.outcome])).toEqual([
      ['20250201000000_user_nickname', 'applied'],
      ['20250202000000_user_email_key', 'applied'],
    ]);
    for (const m of result.migrations) expect(m.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.migrations[0]?.rows).toEqual([{ command: 'UPDATE', rows: 200 }]);
    expect(result.migrations[1]?.locks).toContainEqual(
      expect.objectContaining({ table: 'User', mode: 'SHARE' }),
    );
    expect(result.migrations.map((m) => m.down?.outcome)).toEqual(['restored', 'restored']);
    const text = blocksText(currentMessage(bot, CHANNEL, ts));
    expect(text).toMatch(
      /Rehearsed on a copy of staging \(fresh dump at \d\d:\d\d UTC, \d+ kB\): 2 migrations applied in \d+(\.\d)? m?s; slowest/,
    );
    expect(text).toContain('SHARE lock on \\"User\\"');
    expect(text).toMatch(/lock on \\"User\\" \((seen in pg_locks|the review's analysis)\)/);
    expect(text).toMatch(/20250201000000_user_nickname` \d+(\.\d)? m?s · 200 row\(s\) touched/);
    expect(text).toContain('measured by the rehearsal');
    // Staging itself is untouched.
    const ledger = await staging.query('SELECT 1 FROM "_prisma_migrations"');
    expect(ledger.rowCount).toBe(1);
  }, 90_000);

  it('with rehearsal.data: schema-only, copies the schema and the ledger without the rows', async () => {
    const { runId, ts } = await requestAndWait('schemaonly', 3);
    const row = bot.app.runs.rehearsals.store.latestForRun(runId);
    expect(row?.state).toBe('succeeded');
    expect((row?.result as { source: { kind: string } }).source.kind).toBe('schema-only');
    const copied = await schemaShadow.query<{ users: number; ledger: number }>(
      `SELECT (SELECT count(*)::int FROM "User") AS users, (SELECT count(*)::int FROM "_prisma_migrations") AS ledger`,
    );
    // The baseline row copied, one row per rehearsed migration; no User rows, so no duplicate either.
    expect(copied.rows[0]).toEqual({ users: 0, ledger: 3 });
    expect(blocksText(currentMessage(bot, CHANNEL, ts))).toContain(
      'Rehearsed on a copy of schemaonly (schema only, no data): 2 migrations applied',
    );
  }, 90_000);

  it('offers Cancel rehearsal while it runs, and stops it; the run stays', async () => {
    const holder = new pg.Client({ connectionString: cancelShadow.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE blocker IN ACCESS SHARE MODE');
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy cancelme' });
    const msg = await waitForRunMessage(bot, CHANNEL, 4);
    const runId = runIdOf(msg);
    await bot.app.messenger.flush(runId);
    const shown = currentMessage(bot, CHANNEL, msg.ts);
    expect(buttonsOf(shown)).toContain('run_cancel_rehearsal');
    expect(blocksText(shown)).toContain('Rehearsing…');
    await bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_cancel_rehearsal',
      value: runId,
    });
    await bot.emu.waitFor(
      () =>
        ephemeralTexts(bot, ALICE).some((t) => t.includes('Cancelling the rehearsal')) ? true : undefined,
      {
        what: 'the answer to Cancel rehearsal',
      },
    );
    await holder.query('COMMIT');
    await holder.end();
    const row = await bot.emu.waitFor(
      () => {
        const r = bot.app.runs.rehearsals.store.latestForRun(runId);
        return r && r.state !== 'running' ? r : undefined;
      },
      { what: 'the cancelled rehearsal', timeoutMs: 30_000 },
    );
    expect(row.state).toBe('cancelled');
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('awaiting_approval');
    await bot.app.messenger.flush(runId);
    const after = currentMessage(bot, CHANNEL, msg.ts);
    expect(buttonsOf(after)).not.toContain('run_cancel_rehearsal');
    expect(blocksText(after)).toContain('The rehearsal was cancelled (cancelled by U0ALICE01)');
  }, 90_000);

  it('rehearses a ready plan of /migrate plan in the background, without a run', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'plan staging' });
    await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => blocksText(m).includes('Plan · staging')),
      { what: 'the plan message', timeoutMs: 20_000 },
    );
    // No run asked for it: it is keyed by the plan hash alone, and nobody's thread hears it.
    await bot.app.runs.rehearsals.settled('staging');
    const row = bot.deps.store.db
      .prepare(`SELECT state FROM rehearsals WHERE environment = 'staging' AND run_id IS NULL`)
      .get() as { state: string } | undefined;
    expect(row?.state).toBe('succeeded');
  }, 90_000);
});
