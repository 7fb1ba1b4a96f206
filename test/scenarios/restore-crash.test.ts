/**
 * Issue 9, defect 5: the bot process is killed (SIGKILL) while it restores a failed run's backup.
 * Started again on the same data directory, it says in the run's thread that the restore of that
 * backup was interrupted and what the database shows now (compared with the snapshot taken with the
 * backup), releases the environment lock, and offers Restore backup again, which then restores the
 * database exactly. Real PostgreSQL, the real `src/main.ts` process, the Slack emulator (HTTP mode).
 *
 * The kill is timed from `pg_stat_activity`, on the restore session (psql, application_name
 * `drawbridge restore <run>`). The killed bot's psql outlives it: killed while the rows are copied,
 * it dies at its next output (the script's setval results) and its transaction rolls back; killed
 * during the index builds, after its last output, it carries on and commits. Both are tested, and
 * in both the thread must say what the database really shows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { CHANNEL } from '../support/bot.js';
import { killHard, pollUntil } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startProcessScenario, type ProcessScenario } from '../support/process-scenario.js';
import { blocksText, buttonsOf, runIdOf } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { Message } from '../support/slack-emulator/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const failing = join(here, '../fixtures/deploy/failing');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
/**
 * Enough rows, with long enough addresses, that copying them back and indexing them each take most
 * of a second: time to see the statement in pg_stat_activity and kill the bot while it still runs.
 */
const USERS = 800_000;

/** The schema as pg_dump prints it, without comments and SET lines. */
function schemaOf(url: string): string {
  const u = new URL(url);
  const out = execFileSync(
    'pg_dump',
    [
      ...['--schema-only', '--no-owner', '--no-privileges'],
      ...['-h', u.hostname, '-p', u.port, '-U', u.username, u.pathname.slice(1)],
    ],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
  );
  return out
    .split('\n')
    .filter((l) => l.trim() && !/^(--|SET |SELECT pg_catalog\.set_config|\\(un)?restrict )/.test(l))
    .join('\n');
}

/** The backup file the run recorded, read from the bot's store. */
function backupPathOf(dataDir: string, runId: string): string {
  const d = new Database(join(dataDir, 'drawbridge.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const row = d.prepare('select backup_json from runs where id = ?').get(runId) as { backup_json: string };
    return (JSON.parse(row.backup_json) as { path: string }).path;
  } finally {
    d.close();
  }
}

describe('kill -9 of the bot during a restore', () => {
  const dbs: Record<string, TestDatabase> = {};
  let s: ProcessScenario;

  beforeAll(async () => {
    const environments: Record<string, unknown> = {};
    const vars: Record<string, string> = {};
    const prepare = async (env: string): Promise<void> => {
      const db = await createTestDatabase(`restore_crash_${env}`);
      dbs[env] = db;
      await seedLedger(db.url, failing, { applied: ['20250101000000_init'] });
      await db.query(
        `INSERT INTO "User" (email)
         SELECT 'user' || g || '.' || repeat(md5(g::text), 4) || '@example.com' FROM generate_series(1, ${USERS}) g`,
      );
      await db.query(`CREATE INDEX "User_email_idx" ON "User" (email)`);
      const urlEnv = `${env.toUpperCase()}_DATABASE_URL`;
      vars[urlEnv] = db.url;
      environments[env] = {
        database: { urlEnv },
        migrations: failing,
        approvals: { required: 1, approvers: [BOB] },
      };
    };
    await Promise.all(['staging', 'qa'].map(prepare));
    s = await startProcessScenario({ environments, vars });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    for (const db of Object.values(dbs)) await db.drop();
  });

  function message(ts: string): Message | undefined {
    return s.emu.transcript(CHANNEL).find((m) => m.ts === ts);
  }

  async function userCount(db: TestDatabase): Promise<number> {
    return Number((await db.query<{ n: string }>('select count(*)::text as n from "User"')).rows[0]?.n);
  }

  /** The restore session of the run while it runs a statement like `pattern`, if it does. */
  async function restoreSession(
    db: TestDatabase,
    runId: string,
    pattern: string,
  ): Promise<number | undefined> {
    const r = await db.query<{ pid: number }>(
      `select pid from pg_stat_activity where application_name = $1 and state = 'active' and query ilike $2`,
      [`drawbridge restore ${runId}`, pattern],
    );
    return r.rows[0]?.pid;
  }

  /** Bob clicks Restore backup and confirms in the modal. */
  async function restoreAsBob(env: string, runId: string, ts: string): Promise<void> {
    const before = new Set(s.emu.views.keys());
    await s.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_restore',
      value: runId,
    });
    const view = await s.emu.waitFor(
      () => [...s.emu.views.values()].find((v) => v.open && v.user === BOB && !before.has(v.id)),
      { what: 'the restore modal', timeoutMs: 20_000 },
    );
    const ok = await s.emu.submitView({
      user: BOB,
      viewId: view.id,
      values: { confirm: { confirm_text: `RESTORE ${env}` } },
    });
    expect(ok.status).toBe(200);
  }

  /**
   * A deploy to `env` that fails after applying one migration, its restore killed with the bot while
   * the restore session runs a statement like `killDuring`, and a restart. Returns the run, its
   * message and the thread's restore-interrupted reply.
   */
  async function restoreKilledDuring(
    env: string,
    killDuring: string,
  ): Promise<{ runId: string; ts: string; reply: string; schemaBefore: string }> {
    const db = dbs[env] as TestDatabase;
    const schemaBefore = schemaOf(db.url);
    const first = await s.start();
    await s.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `deploy ${env}` });
    const msg = await s.emu.waitFor(
      () => s.emu.transcript(CHANNEL).find((m) => blocksText(m).includes(`Deploy to ${env} · run`)),
      { what: `the ${env} run message`, timeoutMs: 20_000 },
    );
    const runId = runIdOf(msg);
    await s.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await pollUntil(() => s.run(runId)?.state === 'failed', {
      what: `run ${runId} to fail`,
      timeoutMs: 60_000,
    });
    await s.emu.waitFor(() => buttonsOf(message(msg.ts)).includes('run_restore'), {
      what: 'the Restore backup button',
      timeoutMs: 20_000,
    });
    expect(schemaOf(db.url)).not.toEqual(schemaBefore);

    await restoreAsBob(env, runId, msg.ts);
    await pollUntil(() => restoreSession(db, runId, killDuring), {
      what: `the restore session to run ${killDuring}`,
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    expect(s.locks()).toEqual([{ environment: env, run_id: runId }]);
    expect((await killHard(first)).signal).toBe('SIGKILL');

    await s.start();
    const reply = await s.emu.waitFor(
      () => message(msg.ts)?.replies?.find((r) => blocksText(r).includes('Restore interrupted')),
      { what: 'the restore-interrupted reply', timeoutMs: 40_000 },
    );
    const text = blocksText(reply);
    expect(text).toMatch(
      new RegExp(`Drawbridge restarted while restoring \\*${env}\\* from this run's backup \\S+\\.dump`),
    );
    expect(text).toContain(`started by <@${BOB}>`);
    expect(text).toContain('psql --single-transaction');
    expect(text).toContain('all of the backup or none of it');
    expect(text).toContain(`The ${env} lock is released`);
    expect(text).toContain('Restore backup is offered again');
    // The store: the run still failed (so the ways back stay), the restore ended interrupted, no lock.
    expect(s.run(runId)?.state).toBe('failed');
    expect(s.auditActions(runId).filter((a) => a.startsWith('restore:'))).toEqual([
      'restore:started',
      'restore:interrupted',
    ]);
    expect(s.locks()).toEqual([]);
    expect(await restoreSession(db, runId, '%')).toBeUndefined();
    // The leftover restore script (the backup's data as SQL) is gone.
    expect(existsSync(`${backupPathOf(s.dataDir, runId)}.restore.sql`)).toBe(false);
    await s.emu.waitFor(() => buttonsOf(message(msg.ts)).includes('run_restore'), {
      what: 'Restore backup offered again',
      timeoutMs: 20_000,
    });
    return { runId, ts: msg.ts, reply: text, schemaBefore };
  }

  it('killed while the rows are copied: the restore rolled back, the thread says so, and Restore again restores', async () => {
    const db = dbs.staging as TestDatabase;
    const { runId, ts, reply, schemaBefore } = await restoreKilledDuring('staging', 'COPY public."User"%');
    expect(reply).toContain('The database differs from the snapshot taken with the backup');
    expect(reply).toContain('the restore did not commit');
    // What the thread says is what the database shows: the failed run's migration is still there.
    expect(schemaOf(db.url)).not.toEqual(schemaBefore);
    expect(await userCount(db)).toBe(USERS);

    await restoreAsBob('staging', runId, ts);
    await pollUntil(() => s.run(runId)?.state === 'restored', {
      what: `run ${runId} to be restored`,
      timeoutMs: 60_000,
    });
    expect(schemaOf(db.url)).toEqual(schemaBefore);
    expect(await userCount(db)).toBe(USERS);
    await s.emu.waitFor(
      () =>
        message(ts)?.replies?.find((r) =>
          blocksText(r).includes('Schema and the row count of every table match the snapshot'),
        ),
      { what: 'the restore report', timeoutMs: 20_000 },
    );
    expect(s.auditActions(runId).filter((a) => a.startsWith('restore:'))).toEqual([
      'restore:started',
      'restore:interrupted',
      'restore:started',
      'restore:restored',
    ]);
    expect(s.locks()).toEqual([]);
  }, 120_000);

  it('killed during the index builds: the orphaned restore committed, and the thread says the database is as the backup left it', async () => {
    const db = dbs.qa as TestDatabase;
    const { reply, schemaBefore } = await restoreKilledDuring('qa', 'CREATE INDEX %');
    expect(reply).toContain('The database now matches the snapshot taken with the backup');
    expect(schemaOf(db.url)).toEqual(schemaBefore);
    expect(await userCount(db)).toBe(USERS);
  }, 120_000);
});
