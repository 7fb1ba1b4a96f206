/**
 * Scenarios of issue 5 through the Slack emulator and a real PostgreSQL: the happy path (requester ≠
 * approver) with backup, apply, verify, post-deploy, health check, maintenance and status page;
 * self-approval refused; a non-approver's click; a second click; a two-approver environment; a
 * plan that changes after approval.
 */
import { cpSync, existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { startHttpTarget, type HttpTarget } from '../support/http-target.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  currentMessage,
  ephemeralTexts,
  runIdOf,
  threadOf,
  waitForRunMessage,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import { startStatuspageEmulator, type StatuspageEmulator } from '../support/statuspage-emulator.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const CAROL = 'U0CAROL01';
const DAVE = 'U0DAVE001';
const ZED = 'U0ZED0001';
const users = [
  { id: ZED, name: 'zed' },
  { id: ALICE, name: 'alice' },
  { id: BOB, name: 'bob' },
  { id: CAROL, name: 'carol' },
  { id: DAVE, name: 'dave' },
];

describe('deploy with approvals', () => {
  let db: TestDatabase;
  let db2: TestDatabase;
  let bot: TestBot;
  let target: HttpTarget;
  let sp: StatuspageEmulator;
  let work: string;
  let changingDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('deploy_happy');
    db2 = await createTestDatabase('deploy_twoapprovers');
    for (const d of [db, db2]) {
      await seedLedger(d.url, fixture, { applied: ['20250101000000_init'] });
      await d.query(
        `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 25) g`,
      );
    }
    target = await startHttpTarget();
    sp = await startStatuspageEmulator({ components: [{ id: 'cmpapi000001', name: 'API' }] });
    work = mkdtempSync(join(tmpdir(), 'drawbridge-deploy-'));
    changingDir = join(work, 'migrations-two');
    cpSync(fixture, changingDir, { recursive: true });
    mkdirSync(join(work, 'out'));
    bot = await startTestBot({
      mode: 'http',
      emulator: { users, usergroups: { S0DBAS0001: [CAROL, DAVE] } },
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB, 'S0DBAS0001'] },
          criticalTables: ['User', 'Order'],
          healthcheck: { url: target.healthUrl, retries: 2, timeoutMs: 2000 },
          maintenance: {
            on: ['touch', join(work, 'out', 'maintenance')],
            off: ['rm', '-f', join(work, 'out', 'maintenance')],
          },
          postDeploy: [
            [
              'node',
              '-e',
              `require('fs').writeFileSync(${JSON.stringify(join(work, 'out', 'seeded'))}, 'ok'); console.log('seeded ok')`,
            ],
          ],
          statuspage: {
            pageId: sp.pageId,
            componentIds: ['cmpapi000001'],
            apiKeyEnv: 'STATUSPAGE_API_KEY',
            apiUrl: sp.url,
          },
        },
        twoapprovers: {
          database: { urlEnv: 'TWO_DATABASE_URL' },
          migrations: changingDir,
          approvals: { required: 2, approvers: [BOB, CAROL, DAVE] },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url, TWO_DATABASE_URL: db2.url, STATUSPAGE_API_KEY: sp.apiKey },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await target?.close();
    await sp?.close();
    await db?.drop();
    await db2?.drop();
  });

  it('plan is read-only and shows the pending migrations with checksums, review and preflight', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'plan staging' });
    const msg = await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => blocksText(m).includes('Plan · staging')),
      { what: 'plan message', timeoutMs: 20_000 },
    );
    const text = blocksText(msg);
    expect(text).toContain('20250102000000_orders');
    expect(text).toContain('20250103000000_user_name');
    expect(text).toMatch(/sha256 `[0-9a-f]{12}`/);
    expect(text).toContain('SQL review');
    expect(text).toContain('Preflight');
    expect(text).toContain('pg_dump');
    expect(buttonsOf(msg)).toEqual([]);
    const rows = await db.query<{ n: string }>('select count(*)::text as n from _prisma_migrations');
    expect(rows.rows[0]?.n).toBe('1');
  });

  it('happy path: bob requests, carol (through her user group) approves, the runbook runs and the channel can follow it', async () => {
    await bot.emu.slashCommand({
      user: BOB,
      channel: CHANNEL,
      text: 'deploy staging add orders and user names',
    });
    const msg = await waitForRunMessage(bot, CHANNEL, 1);
    const runId = runIdOf(msg);
    expect(buttonsOf(msg)).toEqual(['run_approve', 'run_reject', 'run_cancel']);
    expect(blocksText(msg)).toContain('add orders and user names');
    // Approvers are told: mention in the thread and a DM to each (carol and dave of the group; not bob, the requester).
    const request = await bot.emu.waitFor(
      () => threadOf(bot, CHANNEL, msg.ts).find((r) => r.text.includes('Approval requested')),
      { what: 'approval request' },
    );
    // Real mentions (not escaped), the group named, the requester left out.
    expect(blocksText(request)).toContain('<!subteam^S0DBAS0001>');
    expect(blocksText(request)).not.toContain('&lt;');
    expect(blocksText(request)).not.toContain(`<@${BOB}>`);
    const dmsTo = (): string[] =>
      bot.emu.calls
        .filter((c) => c.method === 'chat.postMessage' && /^U/.test(String(c.args.channel)))
        .map((c) => String(c.args.channel))
        .sort();
    await bot.emu.waitFor(() => dmsTo().length >= 2, { what: 'approver DMs' });
    expect(dmsTo()).toEqual([CAROL, DAVE].sort());

    // Self-approval is refused, ephemerally, and changes nothing.
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await bot.emu.waitFor(
      () => ephemeralTexts(bot, BOB).find((t) => t.includes('does not allow approving your own run')),
      { what: 'self-approval refusal' },
    );
    // Someone who is not an approver is refused.
    await bot.emu.clickButton({
      user: ZED,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await bot.emu.waitFor(
      () => ephemeralTexts(bot, ZED).find((t) => t.includes('You are not an approver for staging')),
      { what: 'non-approver refusal' },
    );
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('awaiting_approval');
    expect(bot.app.runs.runs.listVotes(runId)).toEqual([]);

    await bot.emu.clickButton({
      user: CAROL,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    const done = await waitForRunState(bot, runId, ['done', 'failed', 'cancelled']);
    expect(done.outcome).toContain('applied and verified');
    expect(done.state).toBe('done');
    await bot.app.messenger.flush(runId);

    // The database: both migrations applied, rows kept, ledger written the Prisma way.
    const ledger = await db.query<{ migration_name: string; finished_at: Date | null }>(
      'select migration_name, finished_at from _prisma_migrations order by started_at',
    );
    expect(ledger.rows.map((r) => r.migration_name)).toEqual([
      '20250101000000_init',
      '20250102000000_orders',
      '20250103000000_user_name',
    ]);
    expect(ledger.rows.every((r) => r.finished_at !== null)).toBe(true);
    expect((await db.query('select "name" from "User" limit 1')).rowCount).toBe(1);

    // Steps: every one recorded in order, skipped ones say why.
    const steps = bot.app.runs.runs.listSteps(runId);
    expect(steps.map((s) => [s.name, s.state])).toEqual([
      ['preflight', 'succeeded'],
      ['announce', 'succeeded'],
      ['maintenance_on', 'succeeded'],
      ['backup', 'succeeded'],
      ['apply', 'succeeded'],
      ['verify', 'succeeded'],
      ['maintenance_off', 'succeeded'],
      ['post_deploy', 'succeeded'],
      ['health_check', 'succeeded'],
      ['close', 'succeeded'],
    ]);
    expect(existsSync(join(work, 'out', 'seeded'))).toBe(true);
    expect(existsSync(join(work, 'out', 'maintenance'))).toBe(false);

    // The live message: updated in place, final state with every step; no buttons left.
    const final = currentMessage(bot, CHANNEL, msg.ts);
    const finalText = blocksText(final);
    expect(finalText).toContain('done');
    expect(finalText).toContain('Backup');
    expect(finalText).toContain('Health check');
    // A done run keeps one way back while its backup exists (issue 11, defect 8).
    expect(buttonsOf(final)).toEqual(['run_restore']);
    const updates = bot.emu.calls.filter((c) => c.method === 'chat.update' && c.args.ts === msg.ts);
    expect(updates.length).toBeGreaterThanOrEqual(5);

    // The thread: preflight, backup with the exact restore command, verify counts, health check.
    const thread = threadOf(bot, CHANNEL, msg.ts)
      .map((r) => blocksText(r))
      .join('\n');
    expect(thread).toContain('pg_restore --clean --if-exists --single-transaction');
    expect(thread).toMatch(/User: 25 → 25 rows/);
    expect(thread).toContain('seeded ok');
    expect(thread).toMatch(/attempt 1: HTTP 200/);

    // The status page: a maintenance opened and completed.
    expect(sp.incidents).toHaveLength(1);
    expect(sp.incidents[0]?.status).toBe('completed');

    // History shows requester, approver, outcome and backup.
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'history staging' });
    const hist = await bot.emu.waitFor(
      () => ephemeralTexts(bot, ALICE).find((t) => t.includes('History · staging')),
      { what: 'history' },
    );
    expect(hist).toContain(runId);
    expect(hist).toContain(`approved by <@${CAROL}>`);
    expect(hist).toContain(`requested by <@${BOB}>`);
    expect(hist).toContain('.dump');

    // No secret leaves: not in any Slack call, not in the logs.
    const password = decodeURIComponent(new URL(db.url).password);
    const outbound = JSON.stringify(bot.emu.calls.map((c) => c.args));
    expect(outbound).not.toContain(password);
    expect(outbound).not.toContain(sp.apiKey);
    expect(bot.logs.join('\n')).not.toContain(password);

    // Every decision is audited.
    const audit = bot.deps.store.auditLog({ runId }).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['run:planned', 'vote:approve', 'step:started']));
  }, 90_000);

  it('nothing pending gets a clear answer instead of buttons', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy staging again' });
    const msg = await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => blocksText(m).includes('Nothing to deploy')),
      { what: 'nothing to deploy', timeoutMs: 20_000 },
    );
    expect(buttonsOf(msg)).toEqual([]);
  });

  it('two approvers: one approval is not enough; a second click by the same person is refused; a plan change voids approvals', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy twoapprovers' });
    const msg = await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => blocksText(m).includes('Deploy to twoapprovers')),
      { what: 'two-approver run', timeoutMs: 20_000 },
    );
    const runId = runIdOf(msg);
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await bot.emu.waitFor(() => ephemeralTexts(bot, BOB).find((t) => t.includes('(1 of 2)')), {
      what: 'first approval',
    });
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await bot.emu.waitFor(() => ephemeralTexts(bot, BOB).find((t) => t.includes('one vote per person')), {
      what: 'second click refused',
    });
    expect(bot.app.runs.runs.getRun(runId)?.state).toBe('awaiting_approval');
    await bot.emu.waitFor(() => blocksText(currentMessage(bot, CHANNEL, msg.ts)).includes('1/2'), {
      what: 'tally on the message',
    });

    // Someone edits a migration before the second approval: the click is refused and the votes are void.
    writeFileSync(
      join(changingDir, '20250103000000_user_name', 'migration.sql'),
      'ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n',
    );
    await bot.emu.clickButton({
      user: CAROL,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    const refusal = await bot.emu.waitFor(
      () => ephemeralTexts(bot, CAROL).find((t) => t.includes('plan changed')),
      { what: 'plan changed refusal' },
    );
    expect(refusal).toContain('was edited since the plan was shown');
    expect(bot.app.runs.runs.listVotes(runId)).toEqual([]);
    await bot.emu.waitFor(() => blocksText(currentMessage(bot, CHANNEL, msg.ts)).includes('0/2'), {
      what: 'votes void on the message',
    });
    const thread = threadOf(bot, CHANNEL, msg.ts)
      .map((r) => blocksText(r))
      .join('\n');
    expect(thread).toContain('approvals are void');

    // Now two people approve the new plan and it runs.
    await bot.emu.clickButton({
      user: CAROL,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await bot.emu.waitFor(() => ephemeralTexts(bot, CAROL).find((t) => t.includes('(1 of 2)')), {
      what: 'carol approval',
    });
    // Two approvers click at the same moment: one decides, the other is told the run is decided.
    await Promise.all([
      bot.emu.clickButton({
        user: DAVE,
        channel: CHANNEL,
        messageTs: msg.ts,
        actionId: 'run_approve',
        value: runId,
      }),
      bot.emu.clickButton({
        user: BOB,
        channel: CHANNEL,
        messageTs: msg.ts,
        actionId: 'run_approve',
        value: runId,
      }),
    ]);
    const done = await waitForRunState(bot, runId, ['done', 'failed']);
    expect(done.state).toBe('done');
    const cols = await db2.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'User' order by 1`,
    );
    expect(cols.rows.map((r) => r.column_name)).toContain('nickname');
    const late = [BOB, DAVE].filter((u) =>
      ephemeralTexts(bot, u).some((t) => t.includes('votes no longer count')),
    );
    expect(late).toHaveLength(1);
    const starts = bot.deps.store.auditLog({ runId }).filter((a) => a.action === 'run:running');
    expect(starts).toHaveLength(1);
    expect(bot.app.runs.runs.listSteps(runId).filter((s) => s.name === 'apply')).toHaveLength(1);
  }, 90_000);
});
