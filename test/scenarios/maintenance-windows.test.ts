/**
 * Issue 12 end to end: maintenance windows with a manual clock and ticker, the Slack and Statuspage
 * emulators and real PostgreSQL.
 * - A window scheduled a week ahead gets exactly its 48 h, 24 h, 1 h, start and end reminders in one
 *   thread of the team channel and one Statuspage scheduled maintenance, across a restart of the bot
 *   (nothing repeated) and a stretch while it was down (the reminder due then arrives late, marked).
 * - requireWindow: a deploy outside a window is offered the next one; approved ahead, the run starts
 *   by itself when the window opens (the window's Statuspage maintenance goes in progress, then
 *   completed); a run whose plan gained a migration meanwhile does not start and says why.
 * - A reminder after a migration file was edited says the plan changed and its approval is void.
 * - A freeze refuses deploys and windows inside it, naming its reason and end.
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/base/clock.js';
import { ManualTicker } from '../../src/core/ticker.js';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf, runIdOf, waitForRunState } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import { startStatuspageEmulator, type StatuspageEmulator } from '../support/statuspage-emulator.js';
import type { Message } from '../support/slack-emulator/types.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 1, 10);

/** A copy of the fixture folder the test may edit. */
function migrationsCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'drawbridge-windows-')), 'migrations');
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

function environment(name: string, migrations: string, sp?: StatuspageEmulator): Record<string, unknown> {
  return {
    database: { urlEnv: `${name.toUpperCase()}_DATABASE_URL` },
    migrations,
    requireWindow: true,
    approvals: { required: 1, approvers: [BOB] },
    ...(sp
      ? {
          statuspage: {
            pageId: sp.pageId,
            componentIds: ['cmpapi000001'],
            apiKeyEnv: 'STATUSPAGE_API_KEY',
            apiUrl: sp.url,
          },
        }
      : {}),
  };
}

/** Warnings of the scheduled work (a tick handler that threw), across bots. */
const tickerWarnings: string[] = [];
function newTicker(): ManualTicker {
  return new ManualTicker(
    { warn: (obj: unknown, msg?: string) => tickerWarnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`) },
    () => clock.now(),
  );
}

/** Top-level messages of the team channel that are window reminders (thread parents). */
function reminderThreads(bot: TestBot): Message[] {
  return bot.emu.transcript(CHANNEL).filter((m) => /Maintenance window/.test(blocksText(m)));
}

const clock = new ManualClock(NOW);

describe('maintenance windows', () => {
  let sp: StatuspageEmulator;
  const dbs: TestDatabase[] = [];
  let bot: TestBot;
  let ticker: ManualTicker;
  const dirs: Record<string, string> = {};
  let environments: Record<string, unknown>;
  let vars: Record<string, string>;

  beforeAll(async () => {
    sp = await startStatuspageEmulator({ components: [{ id: 'cmpapi000001', name: 'API' }] });
    vars = { STATUSPAGE_API_KEY: sp.apiKey };
    environments = {};
    for (const name of ['weekly', 'auto', 'added', 'edited', 'recurring', 'cancelled']) {
      const db = await createTestDatabase(`windows_${name}`);
      await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
      dbs.push(db);
      dirs[name] = migrationsCopy();
      vars[`${name.toUpperCase()}_DATABASE_URL`] = db.url;
      environments[name] = environment(name, dirs[name] ?? '', name === 'edited' ? undefined : sp);
    }
    environments.recurring = {
      ...(environments.recurring as Record<string, unknown>),
      windows: [{ cron: '0 2 * * TUE', duration: '2h', timezone: 'Europe/Oslo', title: 'Tuesday window' }],
    };
    environments.frozen = {
      ...environment('frozen', fixture),
      database: { urlEnv: 'WEEKLY_DATABASE_URL' },
      requireWindow: false,
      freezes: [{ from: '2026-11-30', to: '2027-01-03', reason: 'Holiday release freeze' }],
    };
    ticker = newTicker();
    bot = await startTestBot({ mode: 'http', clock, ticker, environments, vars });
  }, 60_000);

  afterAll(async () => {
    if (tickerWarnings.length) console.log(tickerWarnings.join('\n'));
    await bot?.stop(true);
    await bot?.emu.close();
    await sp?.close();
    for (const db of dbs) await db.drop();
  });

  /** Stops the bot (optionally moving the clock while it is down) and starts it again on the same data. */
  async function restart(downMs = 0): Promise<void> {
    await bot.stop(true);
    if (downMs) await clock.advance(downMs);
    ticker = newTicker();
    bot = await startTestBot({
      mode: 'http',
      clock,
      ticker,
      environments,
      vars,
      restartOf: { dir: dirname(bot.dataDir), emu: bot.emu },
    });
  }

  /** Moves the clock to `at` and runs one tick, then delivers what it queued. */
  async function tickAt(at: number): Promise<void> {
    await clock.advance(at - clock.now());
    await ticker.tick();
    await bot.app.messenger.flush();
  }

  async function schedule(env: string, start: string, duration: string, title: string): Promise<string> {
    await bot.emu.slashCommand({
      user: BOB,
      channel: CHANNEL,
      text: `window schedule ${env} ${start} ${duration} ${title}`,
    });
    const w = await bot.emu.waitFor(
      () => bot.app.bot.windows.list(env).find((l) => l.window.title === title)?.window,
      { what: `window ${title} stored` },
    );
    return w.id;
  }

  /** `/migrate deploy <env>` as Alice outside a window, then the offered button; returns the run. */
  async function deployInNextWindow(env: string): Promise<{ runId: string; ts: string }> {
    const before = bot.emu.ephemerals({ user: ALICE }).length;
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `deploy ${env}` });
    const offer = await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: ALICE })
          .slice(before)
          .find((m) => buttonsOf(m).includes('deploy_in_window')),
      { what: `the offer of ${env}'s next window`, timeoutMs: 20_000 },
    );
    expect(blocksText(offer)).toContain('deploys only inside a maintenance window');
    await bot.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: offer.ts,
      actionId: 'deploy_in_window',
    });
    const msg = await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => blocksText(m).includes(`Deploy to ${env} · run`)),
      { what: `the ${env} run message`, timeoutMs: 20_000 },
    );
    return { runId: runIdOf(msg), ts: msg.ts };
  }

  async function approve(runId: string, ts: string): Promise<void> {
    await bot.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_approve',
      value: runId,
    });
    await waitForRunState(bot, runId, ['approved']);
    await bot.app.messenger.flush();
  }

  function threadTexts(parentTs: string): string[] {
    const parent = bot.emu.transcript(CHANNEL).find((m) => m.ts === parentTs);
    return [blocksText(parent), ...(parent?.replies ?? []).map((m) => blocksText(m))];
  }

  it('sends each reminder of a window a week ahead once, across a restart, late when the bot was down', async () => {
    const start = NOW + 7 * 24 * HOUR;
    const id = await schedule('weekly', '2026-12-08T10:00Z', '2h', 'Weekly DB maintenance');
    await bot.app.messenger.flush();
    const created = sp.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/incidents'));
    expect(created).toHaveLength(1);
    const incident = (created[0]?.body as { incident: Record<string, unknown> }).incident;
    expect(incident).toMatchObject({
      status: 'scheduled',
      scheduled_for: new Date(start).toISOString(),
      scheduled_until: new Date(start + 2 * HOUR).toISOString(),
      scheduled_remind_prior: true,
      component_ids: ['cmpapi000001'],
    });

    await tickAt(start - 48 * HOUR);
    const [thread] = reminderThreads(bot).filter((m) => blocksText(m).includes(`window ${id}`));
    expect(thread).toBeDefined();
    expect(blocksText(thread)).toContain('Maintenance window in 48 hours');
    expect(blocksText(thread)).toContain('2 pending migration(s)');

    await tickAt(start - 24 * HOUR);
    // A restart: the new process ticks at the same moment and repeats nothing.
    await restart();
    await tickAt(start - 24 * HOUR + 60_000);
    // Down over the 1 h reminder: it arrives late, and says so.
    await restart(start - HOUR + 20 * 60_000 - clock.now());
    await tickAt(clock.now());
    await tickAt(start);
    await tickAt(start + 2 * HOUR);
    await tickAt(start + 2 * HOUR + 60_000);

    const texts = threadTexts(thread?.ts ?? '');
    expect(texts.map((t) => /in (\d+) hours?|open now|ended/.exec(t)?.[0])).toEqual([
      'in 48 hours',
      'in 24 hours',
      'in 1 hour',
      'open now',
      'ended',
    ]);
    expect(texts[2]).toContain('Sent late');
    expect(texts.filter((t) => t.includes('Sent late'))).toHaveLength(1);
    expect(texts[1]).toContain('Nothing changed since the last reminder');
    const reminders = bot.app.bot.windows.store.remindersOf(id);
    expect(reminders.map((r) => [r.kind, r.state, r.late])).toEqual([
      ['before:48', 'sent', false],
      ['before:24', 'sent', false],
      ['before:1', 'sent', true],
      ['start', 'sent', false],
      ['end', 'sent', false],
    ]);
    // Statuspage: the scheduled maintenance was created once and nothing else was asked of it.
    expect(sp.requests.filter((r) => r.method !== 'GET')).toHaveLength(1);
  }, 120_000);

  it('offers the next window to a deploy outside one; approved ahead, the run starts by itself at the start', async () => {
    const start = clock.now() + 3 * HOUR;
    const id = await schedule('auto', new Date(start).toISOString(), '1h', 'Auto window');
    const { runId, ts } = await deployInNextWindow('auto');
    expect(bot.app.runs.find(runId)?.windowId).toBe(id);
    await approve(runId, ts);
    // Approved ahead: it waits, across a restart too. A tick before the start does not start it.
    await restart();
    expect(bot.app.runs.find(runId)?.state).toBe('approved');
    await tickAt(start - 60_000);
    expect(bot.app.runs.find(runId)?.state).toBe('approved');
    const finished = bot.app.bot.bus.waitFor('run:finished', (e) => e.runId === runId, 60_000);
    await tickAt(start);
    expect((await finished).state).toBe('done');
    await bot.app.messenger.flush();
    const run = bot.app.runs.find(runId);
    expect(run?.startedAt).toBe(start);
    const thread = (bot.emu.transcript(CHANNEL).find((m) => m.ts === ts)?.replies ?? []).map((m) =>
      blocksText(m),
    );
    expect(thread.some((t) => t.includes('Approved ahead of its window'))).toBe(true);
    expect(thread.some((t) => t.includes('Starting in its maintenance window'))).toBe(true);
    // Statuspage: the window's scheduled maintenance went in progress, then completed; no other was opened.
    const incidentId = (
      sp.requests.find(
        (r) =>
          r.method === 'POST' &&
          (r.body as { incident?: { name?: string } }).incident?.name?.includes(`window ${id}`),
      )?.status
        ? bot.app.bot.outbox.getByDedupeKey(`statuspage:window:${id}`)?.result
        : undefined
    ) as { id: string } | undefined;
    expect(incidentId?.id).toBeDefined();
    const patches = sp.requests.filter(
      (r) => r.method === 'PATCH' && r.path.endsWith(`/incidents/${incidentId?.id}`),
    );
    expect(patches.map((r) => (r.body as { incident: { status: string } }).incident.status)).toEqual([
      'in_progress',
      'completed',
    ]);
    const runIncidents = sp.requests.filter(
      (r) =>
        r.method === 'POST' &&
        (r.body as { incident?: { name?: string } }).incident?.name?.includes(`run ${runId}`),
    );
    expect(runIncidents).toHaveLength(0);
  }, 120_000);

  it('does not start a run whose plan gained a migration before its window, and says why', async () => {
    const start = clock.now() + 2 * HOUR;
    await schedule('added', new Date(start).toISOString(), '1h', 'Added window');
    const { runId, ts } = await deployInNextWindow('added');
    await approve(runId, ts);
    const extra = join(dirs.added ?? '', '20250104000000_audit_log');
    mkdirSync(extra);
    writeFileSync(join(extra, 'migration.sql'), 'CREATE TABLE "AuditLog" (id serial PRIMARY KEY);\n');
    await tickAt(start);
    await bot.app.messenger.flush();
    const run = bot.app.runs.find(runId);
    expect(run?.state).toBe('awaiting_approval');
    expect(run?.startedAt).toBeNull();
    expect(run?.plan.migrations.map((m) => m.name)).toContain('20250104000000_audit_log');
    const thread = (bot.emu.transcript(CHANNEL).find((m) => m.ts === ts)?.replies ?? []).map((m) =>
      blocksText(m),
    );
    const why = thread.find((t) => t.includes('Did not start at the window'));
    expect(why).toContain('the plan changed, approvals are void');
    expect(why).toContain('Migration 20250104000000_audit_log is new since the plan was shown');
    const rows = await dbs[2]?.query('SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(rows?.rows[0]).toEqual({ n: 1 });
  }, 120_000);

  it('says in the next reminder that an edited migration changed the plan and voided the approval', async () => {
    const start = clock.now() + 30 * HOUR;
    const id = await schedule('edited', new Date(start).toISOString(), '2h', 'Edited window');
    const { runId, ts } = await deployInNextWindow('edited');
    await approve(runId, ts);
    appendFileSync(
      join(dirs.edited ?? '', '20250102000000_orders', 'migration.sql'),
      '\n-- reviewed again\n',
    );
    await tickAt(start - 24 * HOUR);
    const [parent] = reminderThreads(bot).filter((m) => blocksText(m).includes(`window ${id}`));
    const text = blocksText(parent);
    expect(text).toContain('Maintenance window in 24 hours');
    expect(text).toContain(`run ${runId}`);
    expect(text).toContain('the plan changed, so its approval is void');
    expect(text).toContain('Migration 20250102000000_orders was edited since the plan was shown');
    expect(bot.app.runs.find(runId)?.state).toBe('awaiting_approval');
    expect(
      bot.app.runs.runs.listVotes(runId).filter((v) => v.planHash === bot.app.runs.find(runId)?.planHash),
    ).toEqual([]);
  }, 120_000);

  it('stores the recurring windows of the configuration ahead, and announces one on the status page once a run waits for it', async () => {
    // Tuesday 2026-12-15 02:00 in Oslo is 01:00 UTC; three days ahead it comes into view.
    const tuesday = Date.UTC(2026, 11, 15, 1);
    await tickAt(tuesday - 72 * HOUR + HOUR);
    const listed = bot.app.bot.windows.list('recurring');
    expect(listed.map((l) => [l.window.title, l.window.startsAt, l.window.endsAt, l.window.source])).toEqual([
      ['Tuesday window', tuesday, tuesday + 2 * HOUR, 'config'],
    ]);
    const id = listed[0]?.window.id ?? '';
    expect(bot.app.bot.windows.store.remindersOf(id).map((r) => r.kind)).toEqual([
      'before:48',
      'before:24',
      'before:1',
      'start',
      'end',
    ]);
    // A second tick stores nothing twice.
    await tickAt(clock.now() + 60_000);
    expect(bot.app.bot.windows.list('recurring')).toHaveLength(1);
    const named = () =>
      sp.requests.filter(
        (r) =>
          r.method === 'POST' &&
          (r.body as { incident?: { name?: string } }).incident?.name?.includes(`window ${id}`),
      );
    expect(named()).toHaveLength(0);
    const { runId } = await deployInNextWindow('recurring');
    expect(bot.app.runs.find(runId)?.windowId).toBe(id);
    await tickAt(clock.now() + 60_000);
    expect(named()).toHaveLength(1);
    expect((named()[0]?.body as { incident: { scheduled_for: string } }).incident.scheduled_for).toBe(
      new Date(tuesday).toISOString(),
    );
  }, 60_000);

  it('leaves out a recurring occurrence that overlaps a window scheduled in Slack, and the tick goes on', async () => {
    const tuesday = Date.UTC(2026, 11, 22, 1);
    const warned = tickerWarnings.length;
    await schedule('recurring', new Date(tuesday + 30 * 60_000).toISOString(), '1h', 'Manual overlap');
    await tickAt(tuesday - 72 * HOUR + HOUR);
    const later = bot.app.bot.windows.list('recurring').filter((l) => l.window.startsAt >= tuesday - HOUR);
    expect(later.map((l) => l.window.title)).toEqual(['Manual overlap']);
    expect(tickerWarnings.slice(warned)).toEqual([]);
  }, 60_000);

  it('cancelling a window cancels the runs waiting for it and deletes its Statuspage maintenance', async () => {
    const start = clock.now() + 5 * HOUR;
    const id = await schedule('cancelled', new Date(start).toISOString(), '1h', 'Cancelled window');
    const { runId, ts } = await deployInNextWindow('cancelled');
    await approve(runId, ts);
    await bot.emu.slashCommand({ user: BOB, channel: CHANNEL, text: `window cancel ${id}` });
    await waitForRunState(bot, runId, ['cancelled']);
    await bot.app.messenger.flush();
    expect(bot.app.runs.find(runId)?.outcome).toContain(
      `its maintenance window ${id} was cancelled by ${BOB}`,
    );
    const incident = bot.app.bot.outbox.getByDedupeKey(`statuspage:window:${id}`)?.result as { id: string };
    const deleted = await bot.emu.waitFor(
      () => sp.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/incidents/${incident.id}`)),
      { what: 'the scheduled maintenance deleted' },
    );
    expect(deleted.status).toBeLessThan(300);
    // Its reminders are skipped; nothing more is sent for it.
    expect(bot.app.bot.windows.store.remindersOf(id).every((r) => r.state === 'skipped')).toBe(true);
    expect(bot.deps.store.auditLog().some((a) => a.action === 'window:cancelled' && a.actor === BOB)).toBe(
      true,
    );
  }, 60_000);

  it('refuses deploys and windows inside a freeze, naming it and its end', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy frozen' });
    const refused = await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user: ALICE }).find((m) => blocksText(m).includes('are frozen')),
      { what: 'the freeze refusal', timeoutMs: 20_000 },
    );
    expect(blocksText(refused)).toContain('Holiday release freeze');
    expect(blocksText(refused)).toContain('2027-01-04 00:00 UTC');
    await bot.emu.slashCommand({
      user: BOB,
      channel: CHANNEL,
      text: `window schedule frozen ${new Date(clock.now() + 24 * HOUR).toISOString()} 1h Frozen`,
    });
    const noWindow = await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user: BOB }).find((m) => blocksText(m).includes('Holiday release freeze')),
      { what: 'the window refused in a freeze' },
    );
    expect(blocksText(noWindow)).toMatch(/freeze/i);
    expect(bot.app.bot.windows.list('frozen')).toEqual([]);
    expect(bot.app.runs.history('frozen')).toEqual([]);
  }, 60_000);
});
