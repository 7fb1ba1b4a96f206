/**
 * Issue 9, defect 4: a restart voids nothing that had not started. A graceful restart (SIGTERM, the
 * process exits, it starts again on the same data directory) leaves a run awaiting approval as it
 * was, and Approve afterwards runs it to the end. A run found approved but not started (the bot died
 * between the approval and the start) waits for approval again, with a note in its thread, and runs
 * when approved. Real PostgreSQL, the real `src/main.ts` process, the Slack emulator (HTTP mode).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/base/clock.js';
import { castVote } from '../../src/core/runs/cast-vote.js';
import { RunStore } from '../../src/store/run-store.js';
import { Store } from '../../src/store/store.js';
import { CHANNEL } from '../support/bot.js';
import { pollUntil } from '../support/bot-process.js';
import { startProcessScenario, type ProcessScenario } from '../support/process-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf, runIdOf } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { Message } from '../support/slack-emulator/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const PLAN = ['20250101000000_init', '20250102000000_orders', '20250103000000_user_name'];

describe('a restart with runs that have not started', () => {
  let waitingDb: TestDatabase;
  let approvedDb: TestDatabase;
  let s: ProcessScenario;

  beforeAll(async () => {
    waitingDb = await createTestDatabase('restart_waiting');
    approvedDb = await createTestDatabase('restart_approved');
    for (const db of [waitingDb, approvedDb]) await seedLedger(db.url, fixture, { applied: [PLAN[0] ?? ''] });
    const approvals = { required: 1, approvers: [BOB] };
    s = await startProcessScenario({
      environments: {
        staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations: fixture, approvals },
        qa: { database: { urlEnv: 'QA_DATABASE_URL' }, migrations: fixture, approvals },
      },
      vars: { STAGING_DATABASE_URL: waitingDb.url, QA_DATABASE_URL: approvedDb.url },
    });
  }, 30_000);

  afterAll(async () => {
    await s?.close();
    for (const db of [waitingDb, approvedDb]) await db?.drop();
  });

  function message(ts: string): Message | undefined {
    return s.emu.transcript(CHANNEL).find((m) => m.ts === ts);
  }

  /** `/migrate deploy <env>` as Alice; the run message and its run id. */
  async function requestDeploy(env: string): Promise<{ runId: string; ts: string }> {
    await s.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `deploy ${env}` });
    const msg = await s.emu.waitFor(
      () => s.emu.transcript(CHANNEL).find((m) => blocksText(m).includes(`Deploy to ${env} · run`)),
      { what: `the ${env} run message`, timeoutMs: 20_000 },
    );
    return { runId: runIdOf(msg), ts: msg.ts };
  }

  /** Bob clicks Approve; resolves once the run is done, with the final message. */
  async function approveAndFinish(runId: string, ts: string): Promise<Message> {
    await s.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_approve',
      value: runId,
    });
    await pollUntil(() => ['done', 'failed', 'interrupted'].includes(s.run(runId)?.state ?? ''), {
      what: `run ${runId} to end`,
      timeoutMs: 60_000,
    });
    expect(s.run(runId)).toEqual({ state: 'done', outcome: '2 migration(s) applied and verified' });
    return s.emu.waitFor(
      () => {
        const m = message(ts);
        return m && blocksText(m).includes('*done*') ? m : undefined;
      },
      { what: 'the run message to show done', timeoutMs: 20_000 },
    );
  }

  async function ledger(db: TestDatabase): Promise<{ name: string; finished: boolean }[]> {
    const r = await db.query<{ name: string; finished: boolean }>(
      `select migration_name as name, finished_at is not null and rolled_back_at is null as finished
         from _prisma_migrations order by migration_name`,
    );
    return r.rows;
  }

  async function applied(db: TestDatabase): Promise<{ order: string | null; name: boolean }> {
    const r = await db.query<{ order: string | null; name: boolean }>(
      `select to_regclass('"Order"')::text as order,
              exists (select 1 from information_schema.columns where table_name = 'User' and column_name = 'name') as name`,
    );
    return r.rows[0] ?? { order: null, name: false };
  }

  it('a graceful restart keeps a run awaiting approval, and Approve afterwards runs it to the end', async () => {
    const first = await s.start();
    const { runId, ts } = await requestDeploy('staging');
    expect(s.run(runId)?.state).toBe('awaiting_approval');

    expect(await s.stopGracefully(first)).toEqual({ code: 0, signal: null });
    await s.start();

    // Start-up recovery has run (before the server took any request): nothing changed for the run.
    expect(s.run(runId)).toEqual({ state: 'awaiting_approval', outcome: null });
    expect(s.auditActions(runId)).not.toContain('run:interrupted');
    expect(buttonsOf(message(ts))).toEqual(['run_approve', 'run_reject', 'run_cancel']);

    const done = await approveAndFinish(runId, ts);
    expect(buttonsOf(done)).not.toContain('run_approve');
    expect(await ledger(waitingDb)).toEqual(PLAN.map((name) => ({ name, finished: true })));
    expect(await applied(waitingDb)).toEqual({ order: '"Order"', name: true });
    const told = s.emu
      .ephemerals({ user: BOB })
      .map((m) => blocksText(m))
      .find((t) => t.includes(`Run ${runId} is approved`));
    expect(told).toContain('starting now');
    expect(s.locks()).toEqual([]);
  }, 90_000);

  it('a run found approved but not started waits for approval again, says why, and runs when approved', async () => {
    const first = await s.start();
    const { runId, ts } = await requestDeploy('qa');
    expect(await s.stopGracefully(first)).toEqual({ code: 0, signal: null });

    // The state a crash between the approval and the start leaves (a window of milliseconds): Bob's
    // vote counted and the run approved, through the real vote path, while no bot runs.
    const store = Store.open(s.dataDir, systemClock);
    try {
      const runs = new RunStore(store);
      const run = runs.getRun(runId);
      const cast = castVote(runs, {
        runId,
        voter: BOB,
        voterGroups: [],
        decision: 'approve',
        policy: { required: 1, approvers: [BOB], allowSelfApproval: false, expiresAfterMinutes: 60 },
        currentPlanHash: run?.planHash ?? '',
      });
      expect(cast).toMatchObject({ outcome: 'approved', run: { state: 'approved' } });
    } finally {
      store.close();
    }

    await s.start();
    const note = await s.emu.waitFor(
      () =>
        message(ts)?.replies?.find((r) =>
          blocksText(r).includes('Drawbridge restarted after this run was approved'),
        ),
      { what: 'the restart note in the thread', timeoutMs: 20_000 },
    );
    expect(blocksText(note)).toContain(`approved by <@${BOB}> and before it started: nothing ran`);
    expect(blocksText(note)).toContain('approve again to start it now');
    expect(s.run(runId)?.state).toBe('awaiting_approval');
    expect(s.auditActions(runId).slice(-2)).toEqual(['run:awaiting_approval', 'run:votes_voided']);
    await s.emu.waitFor(
      () => {
        const m = message(ts);
        return m && blocksText(m).includes(`0/1: nobody yet`) && buttonsOf(m).includes('run_approve');
      },
      { what: 'the run message waiting for approval again', timeoutMs: 20_000 },
    );
    expect(await applied(approvedDb)).toEqual({ order: null, name: false });

    await approveAndFinish(runId, ts);
    expect(await ledger(approvedDb)).toEqual(PLAN.map((name) => ({ name, finished: true })));
    expect(await applied(approvedDb)).toEqual({ order: '"Order"', name: true });
  }, 90_000);
});
