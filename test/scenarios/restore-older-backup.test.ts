/**
 * Issue 11, defects 3 and 8: the ways back after a successful run. Two runs succeed in a row on
 * staging; `/migrate backups staging` lists both backups (size, sha256, age, copies) with a Restore
 * button each; the first run's backup file is deleted on the host, a tampered off-host copy is
 * refused by its sha256, the intact one is fetched back with `copyBack` (a real `cp` from a temp
 * "off-host" directory) and restored: the confirmation names the second run, which is then shown as
 * reverted, and the database is again as the first backup holds it. The steps build on each other,
 * as in the runbook, so they share one database and run in order.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
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
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { Message } from '../support/slack-emulator/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const REQUESTER = 'U0REQUEST1';
const APPROVER = 'U0APPROVE1';

/** The schema as pg_dump prints it, without comments and SET lines. */
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
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
  );
  return out
    .split('\n')
    .filter((l) => l.trim() && !/^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )/.test(l))
    .join('\n');
}

interface Backup {
  path: string;
  fileName: string;
  sha256: string;
}

describe('restoring an older backup after successful runs', () => {
  let db: TestDatabase;
  let bot: TestBot;
  let work: string;
  let migrations: string;
  let offHost: string;
  let schemaBeforeFirst: string;
  let usersBeforeFirst: number;
  let listingTs = '';
  const run: { first: string; second: string; firstTs: string; secondTs: string } = {
    first: '',
    second: '',
    firstTs: '',
    secondTs: '',
  };

  async function deployAndFinish(n: number): Promise<{ runId: string; ts: string }> {
    await bot.emu.slashCommand({ user: REQUESTER, channel: CHANNEL, text: 'deploy staging' });
    const msg = await bot.emu.waitFor(() => runMessages(bot, CHANNEL)[n - 1], {
      what: `run message #${n}`,
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
    const done = await waitForRunState(bot, runId, ['done', 'failed', 'interrupted']);
    expect(done.state).toBe('done');
    await bot.app.messenger.flush(runId);
    return { runId, ts: msg.ts };
  }

  function backupOf(runId: string): Backup {
    return bot.app.runs.runs.getRun(runId)?.backup as Backup;
  }

  /** Clicks a Restore button (on a run message or the backups listing) and types the confirmation. */
  async function confirmRestore(ts: string, runId: string): Promise<string> {
    await bot.emu.clickButton({
      user: APPROVER,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_restore',
      value: runId,
    });
    const view = await bot.emu.waitFor(
      () => [...bot.emu.views.values()].find((v) => v.open && v.user === APPROVER),
      { what: 'restore modal' },
    );
    const text = JSON.stringify(view.view);
    const ok = await bot.emu.submitView({
      user: APPROVER,
      viewId: view.id,
      values: { confirm: { confirm_text: 'RESTORE staging' } },
    });
    expect(ok.status).toBe(200);
    return text;
  }

  beforeAll(async () => {
    db = await createTestDatabase('restore_older');
    work = mkdtempSync(join(tmpdir(), 'drawbridge-older-'));
    migrations = join(work, 'migrations');
    offHost = join(work, 'off-host');
    mkdirSync(offHost);
    mkdirSync(migrations);
    // The folder grows as in real life: the second run's migration is committed after the first run.
    for (const m of ['migration_lock.toml', '20250101000000_init', '20250102000000_orders'])
      cpSync(join(fixture, m), join(migrations, m), { recursive: true });
    await seedLedger(db.url, migrations, { applied: ['20250101000000_init'] });
    await db.query(
      `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 25) g`,
    );
    bot = await startTestBot({
      mode: 'http',
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations,
          approvals: { required: 1, approvers: [APPROVER] },
          backup: {
            dir: join(work, 'backups'),
            copyOff: ['cp', '{file}', `${offHost}/`],
            copyBack: ['cp', `${offHost}/{name}`, '{file}'],
          },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
      logLevel: 'info',
      emulator: {
        users: [
          { id: REQUESTER, name: 'requester' },
          { id: APPROVER, name: 'approver' },
        ],
      },
    });
    schemaBeforeFirst = schemaOf(db.url);
    usersBeforeFirst = 25;
    const first = await deployAndFinish(1);
    cpSync(join(fixture, '20250103000000_user_name'), join(migrations, '20250103000000_user_name'), {
      recursive: true,
    });
    await db.query(`INSERT INTO "User" (email) VALUES ('late@example.com')`);
    const second = await deployAndFinish(2);
    Object.assign(run, { first: first.runId, firstTs: first.ts, second: second.runId, secondTs: second.ts });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('offers Restore on a done run and names the later run it would undo', () => {
    const first = bot.app.runs.view(run.first);
    expect(first?.actions.restore).toBe(true);
    expect(first?.actions.restoreUndoes).toEqual([`run ${run.second} (done)`]);
    expect(bot.app.runs.view(run.second)?.actions.restoreUndoes).toBeUndefined();
    expect(buttonsOf(currentMessage(bot, CHANNEL, run.secondTs))).toContain('run_restore');
  });

  it('/migrate backups staging lists both backups with size, sha256, age and copies, each with Restore', async () => {
    await bot.emu.slashCommand({ user: APPROVER, channel: CHANNEL, text: 'backups staging' });
    const listing = await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user: APPROVER }).find((m) => blocksText(m).includes('Backups · staging')),
      { what: 'backups listing' },
    );
    const text = blocksText(listing);
    for (const id of [run.first, run.second]) {
      const b = backupOf(id);
      expect(text).toContain(b.fileName);
      expect(text).toContain(`sha256 \`${b.sha256.slice(0, 12)}\``);
      expect(text).toContain(`run ${id} (done)`);
    }
    expect(text).toMatch(/\d+(\.\d)? (B|kB|MB) · sha256/);
    expect(text).toMatch(/\d+ (s|min) old/);
    expect(text).toContain(`off-host: \`cp `);
    expect(text).toContain(offHost);
    expect(text).toContain(`Restoring it also undoes run ${run.second} (done)`);
    // Newest first, one Restore button per backup, naming its run.
    const buttons = (listing.blocks ?? [])
      .map((b) => (b as { accessory?: { action_id?: string; value?: string } }).accessory)
      .filter((a) => a?.action_id === 'run_restore')
      .map((a) => a?.value);
    expect(buttons).toEqual([run.second, run.first]);
    listingTs = listing.ts;
  });

  it('a tampered off-host copy of a deleted backup is refused by its sha256, and nothing is restored', async () => {
    const b = backupOf(run.first);
    const offCopy = join(offHost, b.fileName);
    expect(existsSync(offCopy)).toBe(true);
    rmSync(b.path);
    renameSync(offCopy, `${offCopy}.intact`);
    writeFileSync(offCopy, 'not a pg_dump archive');
    const schema = schemaOf(db.url);
    await confirmRestore(run.firstTs, run.first);
    const refused = await bot.emu.waitFor(
      () => ephemeralTexts(bot, APPROVER).find((t) => t.includes('is not the backup that was made')),
      { what: 'checksum refusal', timeoutMs: 30_000 },
    );
    expect(refused).toContain(`expected ${b.sha256}`);
    expect(existsSync(b.path)).toBe(false);
    expect(schemaOf(db.url)).toEqual(schema);
    expect(bot.app.runs.runs.getRun(run.first)?.state).toBe('done');
    expect(bot.app.runs.runs.getRun(run.second)?.reverted).toBeUndefined();
    expect(bot.app.runs.runs.getEnvironmentLock('staging')).toBeUndefined();
    // Put the intact copy back for the next step.
    renameSync(`${offCopy}.intact`, offCopy);
  });

  it('restoring the first backup fetches it back, names and then marks the second run reverted', async () => {
    const b = backupOf(run.first);
    expect(existsSync(b.path)).toBe(false);
    // From the listing's Restore button: the same checks and the same confirmation as on the run message.
    const modal = await confirmRestore(listingTs, run.first);
    expect(modal).toContain(`restoring it also undoes run ${run.second} (done)`);
    expect(modal).toContain('marked reverted afterwards');
    const restored = await waitForRunState(bot, run.first, ['restored'], 60_000);
    expect(restored.outcome).toContain(`undid run ${run.second} (done)`);
    expect(restored.outcome).not.toContain('differences');
    // Fetched back with copyBack and verified.
    expect(existsSync(b.path)).toBe(true);
    expect(basename(b.path)).toBe(b.fileName);
    // The database is as the first backup holds it: no Order table, no name column, no late user.
    expect(schemaOf(db.url)).toEqual(schemaBeforeFirst);
    const users = await db.query<{ n: string }>(`select count(*)::text as n from "User"`);
    expect(Number(users.rows[0]?.n)).toBe(usersBeforeFirst);

    const second = bot.app.runs.runs.getRun(run.second);
    expect(second?.state).toBe('done');
    expect(second?.reverted).toMatchObject({ byRunId: run.first, actor: APPROVER });
    await bot.app.messenger.flush(run.first);
    await bot.app.messenger.flush(run.second);
    const firstThread = threadOf(bot, CHANNEL, run.firstTs)
      .map((m: Message) => blocksText(m))
      .join('\n');
    expect(firstThread).toContain('Backup fetched back');
    expect(firstThread).toContain('its sha256 matches');
    const secondMessage = blocksText(currentMessage(bot, CHANNEL, run.secondTs));
    expect(secondMessage).toContain('*reverted*');
    expect(secondMessage).toContain(`restored the backup of run ${run.first}`);
    expect(
      threadOf(bot, CHANNEL, run.secondTs)
        .map((m: Message) => blocksText(m))
        .join('\n'),
    ).toContain('Reverted');

    await bot.emu.slashCommand({ user: APPROVER, channel: CHANNEL, text: `history staging` });
    const history = await bot.emu.waitFor(
      () => ephemeralTexts(bot, APPROVER).find((t) => t.includes('History · staging')),
      { what: 'history' },
    );
    expect(history).toContain(`reverted* by the restore of run ${run.first}`);
  }, 90_000);
});
