/**
 * Scenarios of issue 11 (defects 4, 5 and 6) through the Slack emulator, a real PostgreSQL, a
 * loopback application whose maintenance page answers 503, the Prisma CLI stand-in and the
 * Statuspage emulator: the health check runs after maintenance mode is off; a Prisma-runner failure
 * offers Mark rolled back; a way back ends with maintenance mode (off, or Turn maintenance off
 * offered) and the status-page maintenance completed; `/migrate maintenance off <env>`.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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
  runMessages,
  threadOf,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import { startStatuspageEmulator, type StatuspageEmulator } from '../support/statuspage-emulator.js';

const here = dirname(fileURLToPath(import.meta.url));
const good = join(here, '../fixtures/deploy/migrations');
const failing = join(here, '../fixtures/deploy/failing');
const standin = join(here, '../fixtures/bin/fake-prisma-standin.mjs');
const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE';
const STRANGER = 'U0STRANGE';

async function deployAndApprove(bot: TestBot, env: string): Promise<{ runId: string; ts: string }> {
  const of = (): ReturnType<typeof runMessages> =>
    runMessages(bot, CHANNEL).filter((m) => blocksText(m).includes(`Deploy to ${env} `));
  const before = of().length;
  await bot.emu.slashCommand({ user: REQUESTER, channel: CHANNEL, text: `deploy ${env}` });
  const msg = await bot.emu.waitFor(() => of()[before], {
    what: `run message for ${env}`,
    timeoutMs: 20_000,
  });
  const runId = runIdOf(msg);
  await bot.emu.clickButton({
    user: APPROVER,
    channel: CHANNEL,
    messageTs: msg.ts,
    actionId: 'run_approve',
    value: runId,
  });
  return { runId, ts: msg.ts };
}

describe('maintenance mode, the health check and the ways back', () => {
  let dbPage: TestDatabase;
  let dbPrisma: TestDatabase;
  let dbBroken: TestDatabase;
  let bot: TestBot;
  let target: HttpTarget;
  let sp: StatuspageEmulator;
  let work: string;
  const flag = (name: string): string => join(work, `${name}.maintenance`);

  beforeAll(async () => {
    dbPage = await createTestDatabase('mwb_page');
    dbPrisma = await createTestDatabase('mwb_prisma');
    dbBroken = await createTestDatabase('mwb_broken');
    await seedLedger(dbPage.url, good, { applied: ['20250101000000_init'] });
    await seedLedger(dbBroken.url, good, { applied: ['20250101000000_init'] });
    await seedLedger(dbPrisma.url, failing, { applied: ['20250101000000_init'] });
    for (const d of [dbPage, dbPrisma, dbBroken])
      await d.query(
        `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 10) g`,
      );
    work = mkdtempSync(join(tmpdir(), 'drawbridge-mwb-'));
    // The application: its /health answers 503 while the page's maintenance flag exists.
    target = await startHttpTarget({ maintenanceFile: join(work, 'page.maintenance') });
    sp = await startStatuspageEmulator({ components: [{ id: 'cmpapi000001', name: 'API' }] });
    const approvals = { required: 1, approvers: [APPROVER] };
    const maintenance = (name: string, offOnFailure: boolean) => ({
      on: ['touch', flag(name)],
      off: ['rm', '-f', flag(name)],
      offOnFailure,
    });
    bot = await startTestBot({
      mode: 'http',
      emulator: {
        users: [
          { id: REQUESTER, name: 'requester' },
          { id: APPROVER, name: 'approver' },
          { id: STRANGER, name: 'stranger' },
        ],
      },
      environments: {
        page: {
          database: { urlEnv: 'PAGE_DATABASE_URL' },
          migrations: good,
          approvals,
          // No retries: a health request made while maintenance is on would fail the run.
          healthcheck: { url: target.healthUrl, retries: 0, timeoutMs: 2000, settleMs: 50 },
          maintenance: maintenance('page', true),
          postDeploy: [['sh', '-c', `test ! -e ${flag('page')} && echo app reachable`]],
        },
        broken: {
          database: { urlEnv: 'BROKEN_DATABASE_URL' },
          migrations: good,
          approvals,
          healthcheck: { url: `${target.url}/missing`, retries: 0, timeoutMs: 2000 },
          maintenance: maintenance('broken', true),
        },
        prismaenv: {
          database: { urlEnv: 'PRISMA_DATABASE_URL' },
          migrations: failing,
          runner: 'prisma',
          prisma: { command: ['node', standin, 'migrate', 'deploy', '--migrations', failing] },
          approvals,
          maintenance: maintenance('prismaenv', false),
          statuspage: {
            pageId: sp.pageId,
            componentIds: ['cmpapi000001'],
            apiKeyEnv: 'STATUSPAGE_API_KEY',
            apiUrl: sp.url,
          },
        },
      },
      vars: {
        PAGE_DATABASE_URL: dbPage.url,
        PRISMA_DATABASE_URL: dbPrisma.url,
        BROKEN_DATABASE_URL: dbBroken.url,
        STATUSPAGE_API_KEY: sp.apiKey,
      },
      logLevel: 'info',
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await target?.close();
    await sp?.close();
    await dbPage?.drop();
    await dbPrisma?.drop();
    await dbBroken?.drop();
  });

  it('a maintenance page answering 503 does not fail the run: maintenance goes off before the checks', async () => {
    const { runId } = await deployAndApprove(bot, 'page');
    const run = await waitForRunState(bot, runId, ['done', 'failed', 'cancelled'], 30_000);
    expect(run.outcome).toContain('applied and verified');
    expect(run.state).toBe('done');
    expect(bot.app.runs.runs.listSteps(runId).map((s) => [s.name, s.state])).toEqual([
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
    expect(existsSync(flag('page'))).toBe(false);
    // The application was asked once, after maintenance was off, and answered 200.
    expect(target.requests.filter((r) => r.path === '/health').map((r) => r.status)).toEqual([200]);
  }, 60_000);

  it('a health check failing after maintenance is off fails the run with the ways back; maintenance stays off', async () => {
    const { runId, ts } = await deployAndApprove(bot, 'broken');
    const run = await waitForRunState(bot, runId, ['done', 'failed', 'cancelled'], 30_000);
    expect(run.state).toBe('failed');
    expect(run.outcome).toContain('failed at health_check');
    expect(bot.app.runs.runs.listSteps(runId).map((s) => [s.name, s.state])).toEqual([
      ['preflight', 'succeeded'],
      ['announce', 'succeeded'],
      ['maintenance_on', 'succeeded'],
      ['backup', 'succeeded'],
      ['apply', 'succeeded'],
      ['verify', 'succeeded'],
      ['maintenance_off', 'succeeded'],
      ['post_deploy', 'skipped'],
      ['health_check', 'failed'],
      ['close', 'not_run'],
    ]);
    expect(existsSync(flag('broken'))).toBe(false);
    await bot.app.messenger.flush(runId);
    expect(buttonsOf(currentMessage(bot, CHANNEL, ts))).toEqual(['run_restore', 'run_retry']);
    const notices = threadOf(bot, CHANNEL, ts)
      .map((m) => blocksText(m))
      .filter((t) => t.includes(`run ${runId}) failed at health check`));
    expect(notices.join('\n')).toContain('Maintenance mode was already off');
  }, 60_000);

  it('the Prisma runner: a failed migration offers Mark rolled back; afterwards maintenance can be turned off and the status page is completed', async () => {
    const { runId, ts } = await deployAndApprove(bot, 'prismaenv');
    const run = await waitForRunState(bot, runId, ['failed', 'done'], 40_000);
    expect(run.state).toBe('failed');
    expect(run.outcome).toContain('20250103000000_bad_backfill');
    await bot.app.messenger.flush(runId);
    expect(existsSync(flag('prismaenv'))).toBe(true);
    expect(buttonsOf(currentMessage(bot, CHANNEL, ts))).toEqual([
      'run_mark_rolled_back',
      'run_maintenance_off',
      'run_restore',
      'run_retry',
    ]);
    await bot.emu.clickButton({
      user: APPROVER,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_mark_rolled_back',
      value: runId,
    });
    const back = await waitForRunState(bot, runId, ['rolled_back'], 20_000);
    expect(back.outcome).toContain('20250103000000_bad_backfill');
    const rows = await dbPrisma.query<{ rolled_back_at: Date | null }>(
      `select rolled_back_at from _prisma_migrations where migration_name = '20250103000000_bad_backfill'`,
    );
    expect(rows.rows.map((r) => r.rolled_back_at !== null)).toEqual([true]);
    // maintenance.offOnFailure is false: still on, and the message offers to turn it off.
    expect(existsSync(flag('prismaenv'))).toBe(true);
    await bot.app.messenger.flush(runId);
    expect(buttonsOf(currentMessage(bot, CHANNEL, ts))).toEqual(['run_maintenance_off', 'run_retry']);
    // The status-page maintenance the run opened is completed by the way back.
    const incident = await bot.emu.waitFor(
      () => sp.incidents.find((i) => i.name.includes(runId) && i.status === 'completed'),
      { what: 'status-page maintenance completed', timeoutMs: 20_000 },
    );
    expect(incident.components.map((c) => c.status)).toEqual(['operational']);

    await bot.emu.clickButton({
      user: REQUESTER,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_maintenance_off',
      value: runId,
    });
    await bot.emu.waitFor(() => (existsSync(flag('prismaenv')) ? undefined : true), {
      what: 'maintenance flag removed',
    });
    await bot.app.messenger.flush(runId);
    await bot.emu.waitFor(
      () => (buttonsOf(currentMessage(bot, CHANNEL, ts)).join() === 'run_retry' ? true : undefined),
      { what: 'Turn maintenance off no longer offered' },
    );
  }, 90_000);

  it('/migrate maintenance off <env> runs the command for an approver, audited; a stranger is refused', async () => {
    writeFileSync(flag('prismaenv'), 'on by hand\n');
    await bot.emu.slashCommand({ user: STRANGER, channel: CHANNEL, text: 'maintenance off prismaenv' });
    await bot.emu.waitFor(
      () => ephemeralTexts(bot, STRANGER).find((t) => t.includes('Only an approver of prismaenv')),
      { what: 'stranger refused' },
    );
    expect(existsSync(flag('prismaenv'))).toBe(true);
    await bot.emu.slashCommand({ user: APPROVER, channel: CHANNEL, text: 'maintenance off prismaenv' });
    await bot.emu.waitFor(
      () => ephemeralTexts(bot, APPROVER).find((t) => t.includes('Maintenance mode of *prismaenv* is off')),
      { what: 'maintenance off answer' },
    );
    expect(existsSync(flag('prismaenv'))).toBe(false);
    const audit = bot.app.bot.deps.store.db
      .prepare(`select actor, environment from audit where action = 'maintenance_off'`)
      .all();
    expect(audit).toEqual([{ actor: APPROVER, environment: 'prismaenv' }]);
  }, 30_000);
});
