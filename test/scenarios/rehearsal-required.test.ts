/**
 * Issue 14, `rehearsal: required`: Approve is refused until a rehearsal of the exact plan hash
 * succeeded on the shadow database, and accepted after; a plan change voids it (the new plan hash is
 * rehearsed again, and Approve waits for that). The test holds a lock in the shadow to keep a
 * rehearsal from finishing while it clicks.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ephemeralTexts, runIdOf, waitForRunMessage, waitForRunState } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/rehearsal/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

/** Holds ACCESS SHARE on `table` of the shadow in an open transaction: its reset waits until released. */
async function holdShadow(url: string, table: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS SHARE MODE`);
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

describe('rehearsal: required', () => {
  let prod: TestDatabase;
  let shadow: TestDatabase;
  let bot: TestBot;
  let dir: string;

  beforeAll(async () => {
    [prod, shadow] = await Promise.all([createTestDatabase('req_prod'), createTestDatabase('req_shadow')]);
    dir = join(mkdtempSync(join(tmpdir(), 'drawbridge-req-')), 'migrations');
    cpSync(fixture, dir, { recursive: true });
    await seedLedger(prod.url, dir, { applied: ['20250101000000_init'] });
    await prod.query(
      `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 20) g`,
    );
    // A shadow Drawbridge marked on an earlier use, with a table the test can lock.
    await shadow.query(`COMMENT ON DATABASE "${shadow.name}" IS 'drawbridge shadow of production'`);
    await shadow.query('CREATE TABLE blocker (id int)');
    bot = await startTestBot({
      mode: 'http',
      emulator: {
        users: [
          { id: ALICE, name: 'alice' },
          { id: BOB, name: 'bob' },
        ],
      },
      environments: {
        production: {
          database: { urlEnv: 'PROD_URL' },
          shadowDatabase: { urlEnv: 'PROD_SHADOW_URL' },
          rehearsal: 'required',
          migrations: dir,
          approvals: { required: 1, approvers: [BOB] },
        },
      },
      vars: { PROD_URL: prod.url, PROD_SHADOW_URL: shadow.url },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await Promise.all([prod, shadow].map((d) => d?.drop()));
  });

  async function approveAndRead(runId: string, ts: string): Promise<string> {
    const seen = ephemeralTexts(bot, BOB).length;
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_approve',
      value: runId,
    });
    return bot.emu.waitFor(() => ephemeralTexts(bot, BOB)[seen], { what: 'the answer to Approve' });
  }

  function rehearsalOf(planHash: string) {
    return bot.app.runs.rehearsals.store.latestForPlan('production', planHash);
  }

  it('refuses Approve before the rehearsal, accepts it after, and a plan change voids it', async () => {
    let release = await holdShadow(shadow.url, 'blocker');
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy production' });
    const msg = await waitForRunMessage(bot, CHANNEL, 1);
    const runId = runIdOf(msg);
    const firstHash = bot.app.runs.runs.getRun(runId)?.planHash ?? '';

    // Before the rehearsal: refused, the run still waits.
    expect(rehearsalOf(firstHash)?.state).toBe('running');
    const early = await approveAndRead(runId, msg.ts);
    expect(early).toContain('production requires a successful rehearsal of this exact plan');
    expect(early).toContain('Its rehearsal is running now.');
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('awaiting_approval');
    await release();
    await bot.emu.waitFor(() => (rehearsalOf(firstHash)?.state === 'succeeded' ? true : undefined), {
      what: 'the first rehearsal',
      timeoutMs: 60_000,
    });

    // The plan changes: the approval the rehearsal allowed is for the old hash.
    release = await holdShadow(shadow.url, '"User"');
    mkdirSync(join(dir, '20250203000000_user_active'));
    writeFileSync(
      join(dir, '20250203000000_user_active', 'migration.sql'),
      'ALTER TABLE "User" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;\n',
    );
    const changed = await approveAndRead(runId, msg.ts);
    expect(changed).toContain('The plan changed since it was shown');
    const secondHash = bot.app.runs.runs.getRun(runId)?.planHash ?? '';
    expect(secondHash).not.toBe(firstHash);
    await bot.emu.waitFor(() => (rehearsalOf(secondHash)?.state === 'running' ? true : undefined), {
      what: 'the rehearsal of the new plan',
    });
    const voided = await approveAndRead(runId, msg.ts);
    expect(voided).toContain('requires a successful rehearsal of this exact plan');
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('awaiting_approval');
    await release();
    await bot.emu.waitFor(() => (rehearsalOf(secondHash)?.state === 'succeeded' ? true : undefined), {
      what: 'the second rehearsal',
      timeoutMs: 60_000,
    });

    // After the rehearsal of this exact plan: accepted, and the run deploys it.
    const accepted = await approveAndRead(runId, msg.ts);
    expect(accepted).toContain('is approved');
    await waitForRunState(bot, runId, ['done'], 90_000);
    const ledger = await prod.query('SELECT 1 FROM "_prisma_migrations" WHERE finished_at IS NOT NULL');
    expect(ledger.rowCount).toBe(4);
  }, 180_000);
});
