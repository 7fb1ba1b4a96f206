/**
 * Issue 5, item 11: the bot process is killed (SIGKILL) while the apply step runs a slow migration;
 * started again on the same data directory it marks the run `interrupted`, releases its lock, tells
 * the run's thread what the ledger shows, and the way back ("Mark rolled back") works. Real
 * PostgreSQL, the real `src/main.ts` process, the Slack emulator in this process (HTTP mode).
 * Nothing is terminated by the test: the killed bot's migration backend is left to end by itself.
 * The killed bot's migration session is rolled back by the server (client_connection_check_interval).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, SECRETS } from '../support/bot.js';
import {
  killHard,
  pidExists,
  pollUntil,
  startBotProcess,
  waitHealthy,
  type BotProcess,
} from '../support/bot-process.js';
import { freePort } from '../support/pg-cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import { startSlackEmulator } from '../support/slack-emulator/index.js';
import type { Message, SlackEmulator } from '../support/slack-emulator/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/slow');
const SLOW = '20250104000000_slow';
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

interface StoredRun {
  state: string;
  outcome: string | null;
}

/** Reads the bot's own store the way an operator would, read-only, while the bot runs. */
function readStore(dataDir: string): {
  run: (id: string) => StoredRun | undefined;
  steps: (id: string) => { name: string; state: string; error: string | null }[];
  locks: () => unknown[];
} {
  const open = (): Database.Database =>
    new Database(join(dataDir, 'drawbridge.sqlite'), { readonly: true, fileMustExist: true });
  const withDb = <T>(fn: (d: Database.Database) => T): T => {
    const d = open();
    try {
      return fn(d);
    } finally {
      d.close();
    }
  };
  return {
    run: (id) =>
      withDb(
        (d) => d.prepare('select state, outcome from runs where id = ?').get(id) as StoredRun | undefined,
      ),
    steps: (id) =>
      withDb(
        (d) =>
          d.prepare('select name, state, error from run_steps where run_id = ? order by seq').all(id) as {
            name: string;
            state: string;
            error: string | null;
          }[],
      ),
    locks: () => withDb((d) => d.prepare('select * from environment_locks').all()),
  };
}

function runMessage(emu: SlackEmulator): Message | undefined {
  return emu.transcript(CHANNEL).find((m) => /Deploy to staging · run [0-9a-f]{8}/.test(blocksText(m)));
}

describe('kill -9 of the bot during apply', () => {
  let db: TestDatabase;
  let emu: SlackEmulator;
  let env: Record<string, string>;
  let dir: string;
  let dataDir: string;
  const bots: BotProcess[] = [];
  let runId = '';
  let msgTs = '';

  /** Starts the bot on a fresh port and points the emulator at it. */
  async function startBot(): Promise<BotProcess> {
    const port = await freePort();
    const bot = startBotProcess({ ...env, PORT: String(port) });
    bots.push(bot);
    await waitHealthy(bot, port);
    emu.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
    return bot;
  }

  function currentRunMessage(): Message | undefined {
    return emu.transcript(CHANNEL).find((m) => m.ts === msgTs);
  }

  async function ledgerRows(): Promise<{ finished_at: Date | null; rolled_back_at: Date | null }[]> {
    const r = await db.query<{ finished_at: Date | null; rolled_back_at: Date | null }>(
      'select finished_at, rolled_back_at from _prisma_migrations where migration_name = $1',
      [SLOW],
    );
    return r.rows;
  }

  /** The slow migration's backend, while it runs `pg_sleep`. */
  async function sleepingBackends(): Promise<number[]> {
    const r = await db.query<{ pid: number }>(
      `select pid from pg_stat_activity
        where datname = $1 and pid <> pg_backend_pid() and query ilike '%pg_sleep%'`,
      [db.name],
    );
    return r.rows.map((row) => row.pid);
  }

  beforeAll(async () => {
    db = await createTestDatabase('crash_recovery');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    emu = await startSlackEmulator({ signingSecret: SECRETS.signingSecret, botToken: SECRETS.botToken });
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-crash-'));
    dataDir = join(dir, 'data');
    const configPath = join(dir, 'drawbridge.yml');
    writeFileSync(
      configPath,
      [
        `slack: { channel: ${CHANNEL} }`,
        'environments:',
        '  staging:',
        '    database: { urlEnv: STAGING_DATABASE_URL }',
        `    migrations: ${JSON.stringify(fixture)}`,
        `    approvals: { required: 1, approvers: [${BOB}] }`,
        '',
      ].join('\n'),
    );
    env = {
      DRAWBRIDGE_CONFIG: configPath,
      DRAWBRIDGE_DATA_DIR: dataDir,
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: emu.apiUrl,
      STAGING_DATABASE_URL: db.url,
      LOG_LEVEL: 'info',
    };
  }, 30_000);

  afterAll(async () => {
    for (const bot of bots) await killHard(bot).catch(() => undefined);
    await emu?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after kill -9 during apply and a restart: the run is interrupted, its lock released, the thread told, the ledger row unfinished', async () => {
    const first = await startBot();

    // Alice asks, Bob approves: the pipeline runs up to the slow migration.
    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy staging crash test' });
    const msg = await emu.waitFor(() => runMessage(emu), { what: 'run message', timeoutMs: 20_000 });
    msgTs = msg.ts;
    runId = /run ([0-9a-f]{8})/.exec(blocksText(msg))?.[1] ?? '';
    expect(runId).toMatch(/^[0-9a-f]{8}$/);
    await emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msgTs,
      actionId: 'run_approve',
      value: runId,
    });

    const [backendPid] = await pollUntil(
      async () => {
        const pids = await sleepingBackends();
        return pids.length ? pids : undefined;
      },
      { what: 'the slow migration to be running', timeoutMs: 30_000 },
    );
    const store = readStore(dataDir);
    expect(store.run(runId)?.state).toBe('running');
    expect(store.steps(runId).find((s) => s.name === 'apply')?.state).toBe('running');
    expect(store.locks()).toHaveLength(1);
    expect((await ledgerRows()).map((r) => r.finished_at)).toEqual([null]);

    // kill -9, and it is gone.
    const pid = first.child.pid ?? -1;
    const exit = await killHard(first);
    expect(exit.signal).toBe('SIGKILL');
    expect(pidExists(pid)).toBe(false);

    // Started again on the same data directory: recovery tells the thread and updates the message.
    await startBot();
    const restarted = await emu.waitFor(
      () => currentRunMessage()?.replies?.find((r) => blocksText(r).includes('Drawbridge restarted')),
      { what: 'the restart reply in the run thread', timeoutMs: 30_000 },
    );
    const restartText = blocksText(restarted);
    expect(restartText).toContain('Drawbridge restarted while this run was running during apply');
    expect(restartText).toContain(`1 started but not finished in the ledger (${SLOW})`);
    expect(restartText).toContain(`${SLOW} did not commit`);
    // The team hears it too: a reply broadcast to the channel (the run message is in the team channel).
    const broadcast = await emu.waitFor(
      () =>
        currentRunMessage()?.replies?.find((r) =>
          blocksText(r).includes(`Drawbridge restarted while run ${runId} was deploying`),
        ),
      { what: 'the team warning', timeoutMs: 20_000 },
    );
    expect(broadcast.text).toContain(':warning:');
    const call = emu.calls.find(
      (c) => c.method === 'chat.postMessage' && String(c.args.text).includes('was deploying'),
    );
    expect(String(call?.args.reply_broadcast)).toBe('true');
    const updated = await emu.waitFor(
      () => {
        const m = currentRunMessage();
        return m && buttonsOf(m).includes('run_mark_rolled_back') ? m : undefined;
      },
      { what: 'the run message updated to interrupted', timeoutMs: 20_000 },
    );
    expect(blocksText(updated)).toContain('interrupted');
    expect(buttonsOf(updated)).toEqual(expect.arrayContaining(['run_mark_rolled_back', 'run_retry']));
    expect(buttonsOf(updated)).not.toContain('run_approve');

    // The bot's own store: interrupted, the apply step failed as interrupted, no lock held.
    expect(store.run(runId)?.state).toBe('interrupted');
    const apply = store.steps(runId).find((s) => s.name === 'apply');
    expect(apply?.state).toBe('failed');
    expect(apply?.error).toContain('interrupted');
    expect(store.locks()).toEqual([]);

    // The killed process's migration backend ends by itself (PostgreSQL notices the lost client
    // only when pg_sleep returns and it writes to the socket): a bounded wait, nothing terminated.
    await pollUntil(async () => !(await sleepingBackends()).includes(backendPid ?? -1), {
      what: `backend ${backendPid} of the killed bot to end`,
      timeoutMs: 30_000,
    });
    // The ledger: one row for the slow migration (nothing applied twice), never finished, not rolled back.
    expect(await ledgerRows()).toEqual([{ finished_at: null, rolled_back_at: null }]);
    const all = await db.query<{ migration_name: string }>(
      'select migration_name from _prisma_migrations order by started_at',
    );
    expect(all.rows.map((r) => r.migration_name)).toEqual(['20250101000000_init', SLOW]);
  }, 60_000);

  // The migration session sets client_connection_check_interval: the server notices the dead bot and
  // rolls the script's transaction back instead of finishing and committing it.
  it('the killed migration did not commit: its transaction died with the bot', async () => {
    const slow = await db.query<{ t: string | null }>(`select to_regclass('"Slow"')::text as t`);
    expect(slow.rows[0]?.t).toBeNull();
  });

  it('Mark rolled back on the interrupted run resolves the row and makes the migration pending again', async () => {
    expect(runId).not.toBe('');
    await emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msgTs,
      actionId: 'run_mark_rolled_back',
      value: runId,
    });
    await pollUntil(() => readStore(dataDir).run(runId)?.state === 'rolled_back', {
      what: `run ${runId} to be rolled_back`,
      timeoutMs: 20_000,
    });
    const rows = await ledgerRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.finished_at).toBeNull();
    expect(rows[0]?.rolled_back_at).toBeInstanceOf(Date);
    await emu.waitFor(
      () =>
        currentRunMessage()?.replies?.find((r) =>
          blocksText(r).includes(`${SLOW} marked rolled back by <@${BOB}>`),
        ),
      { what: 'the rolled-back reply', timeoutMs: 20_000 },
    );
    await emu.waitFor(() => !buttonsOf(currentRunMessage()).includes('run_mark_rolled_back'), {
      what: 'the Mark rolled back button gone',
      timeoutMs: 20_000,
    });

    await emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'status staging' });
    const status = await emu.waitFor(
      () =>
        [...emu.transcript(CHANNEL), ...emu.ephemerals({ user: ALICE })]
          .map((m) => blocksText(m))
          .find((t) => t.includes('Migration status')),
      { what: 'the status answer', timeoutMs: 20_000 },
    );
    expect(status).toContain(`${SLOW}\` — rolled back (will be re-applied)`);
    expect(status).toContain('1 migration(s) to apply');
  }, 60_000);
});
