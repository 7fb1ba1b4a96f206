/**
 * Issue 9: kill -9 trials spread over deploys. Each trial adds one migration whose side effect is a
 * row in `side_effects`; the test asks for a deploy, approves it, watches pg_stat_activity and the
 * ledger to time the SIGKILL of the real bot process (during the backup, as the ledger row appears,
 * inside the sub-second migration at several offsets, at its COMMIT, after it), starts the bot again,
 * follows the way back the bot offers (Mark rolled back, Restore backup, nothing), deploys again when
 * the migration is still pending, and asserts that the side effect exists exactly once and the
 * ledger agrees with the schema. A table of the trials is printed at the end.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { deploy } from '../../src/migrations/deploy.js';
import { CHANNEL } from '../support/bot.js';
import { killHard, pollUntil, type BotProcess } from '../support/bot-process.js';
import { startProcessScenario, type ProcessScenario } from '../support/process-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf } from '../support/run-scenario.js';
import type { Message } from '../support/slack-emulator/types.js';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

/** Where a trial's kill lands. */
type KillPoint =
  | { kind: 'backup' }
  | { kind: 'row' }
  | { kind: 'script'; offsetMs: number }
  | { kind: 'steps'; offsetMs: number };

const TRIALS: KillPoint[] = [
  { kind: 'backup' },
  { kind: 'row' },
  ...[0, 40, 80, 120, 160, 200, 240, 270, 290, 300, 310, 330, 360, 420, 600].map((offsetMs): KillPoint => ({
    kind: 'script',
    offsetMs,
  })),
  { kind: 'row' },
  { kind: 'steps', offsetMs: 100 },
  { kind: 'backup' },
  { kind: 'steps', offsetMs: 0 },
];

interface TrialRecord {
  trial: number;
  kill: string;
  step: string;
  ledgerAfterKill: string;
  offered: string;
  verdict: string;
  followed: string;
  count: number;
}

function migrationSql(i: number, point: KillPoint): string {
  const effect = `CREATE TABLE "trial_${i}" (id int);\nINSERT INTO side_effects (trial) VALUES (${i});\n`;
  // A `steps` file (CONCURRENTLY) runs statement by statement: its effect commits before the sleep.
  if (point.kind === 'steps')
    return `${effect}CREATE INDEX CONCURRENTLY "trial_${i}_idx" ON "trial_${i}" (id);\nSELECT pg_sleep(0.3);\n`;
  return `${effect}SELECT pg_sleep(0.3);\n`;
}

describe('kill -9 trials over deploys', () => {
  let db: TestDatabase;
  let s: ProcessScenario;
  let watcher: pg.Client;
  let dir: string;
  const records: TrialRecord[] = [];
  const seenRuns = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase('crash_trials');
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-trials-'));
    mkdirSync(join(dir, '20250101000000_init'));
    writeFileSync(
      join(dir, '20250101000000_init', 'migration.sql'),
      'CREATE TABLE side_effects (trial int NOT NULL);\n',
    );
    writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    expect((await deploy({ databaseUrl: db.url, migrationsDir: dir })).outcome).toBe('succeeded');
    s = await startProcessScenario({
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: dir,
          approvals: { required: 1, approvers: [BOB] },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
    });
    watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
  }, 60_000);

  afterAll(async () => {
    if (records.length) {
      const lines = records.map(
        (r) =>
          `| ${r.trial} | ${r.kill} | ${r.step} | ${r.ledgerAfterKill} | ${r.offered} | ${r.verdict} | ${r.followed} | ${r.count} |`,
      );
      console.log(
        [
          '| # | kill | step running | ledger after kill | offered | verdict | followed | final count |',
          '|---|---|---|---|---|---|---|---|',
          ...lines,
        ].join('\n'),
      );
    }
    await watcher?.end();
    await s?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runMessageOf = (id: string): Message | undefined =>
    s.emu.transcript(CHANNEL).find((m) => blocksText(m).includes(`· run ${id}`));

  /** Asks for a deploy, approves it as BOB, returns the run id and message ts. */
  async function requestAndApprove(): Promise<{ runId: string; ts: string }> {
    await s.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy staging trial' });
    const msg = await s.emu
      .waitFor(
        () =>
          s.emu.transcript(CHANNEL).find((m) => {
            const id = /Deploy to staging · run ([0-9a-f]{8})/.exec(blocksText(m))?.[1];
            return id !== undefined && !seenRuns.has(id) && buttonsOf(m).includes('run_approve');
          }),
        { what: 'a new run message with Approve', timeoutMs: 20_000 },
      )
      .catch((err: unknown) => {
        const said = s.emu
          .ephemerals({ user: ALICE })
          .map((m) => blocksText(m))
          .slice(-2)
          .join(' | ');
        const posted = s.emu
          .transcript(CHANNEL)
          .map((m) => blocksText(m).slice(0, 400))
          .slice(-1)
          .join(' | ');
        throw new Error(`${String(err)}; last answers to the requester: ${said}; last message: ${posted}`);
      });
    const runId = /run ([0-9a-f]{8})/.exec(blocksText(msg))?.[1] ?? '';
    seenRuns.add(runId);
    await s.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    return { runId, ts: msg.ts };
  }

  async function waitTerminal(runId: string, states: string[]): Promise<string> {
    const run = await pollUntil(
      () => {
        const r = s.run(runId);
        return r && states.includes(r.state) ? r : undefined;
      },
      { what: `run ${runId} to reach ${states.join('|')}`, timeoutMs: 60_000 },
    );
    return run.state;
  }

  /** Waits for the moment chosen by `point`, polling the database every few ms. */
  async function waitKillPoint(i: number, point: KillPoint): Promise<void> {
    const name = `trial_${i}`;
    const check = async (): Promise<boolean> => {
      if (point.kind === 'backup') {
        const r = await watcher.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pg_dump'`,
          [db.name],
        );
        return (r.rowCount ?? 0) > 0;
      }
      if (point.kind === 'row') {
        const r = await watcher.query(`SELECT 1 FROM _prisma_migrations WHERE migration_name LIKE $1`, [
          `%_${name}`,
        ]);
        return (r.rowCount ?? 0) > 0;
      }
      const r = await watcher.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%pg_sleep(0.3)%' AND pid <> pg_backend_pid()`,
        [db.name],
      );
      return (r.rowCount ?? 0) > 0;
    };
    for (let n = 0; n < 4000; n++) {
      if (await check()) break;
      await new Promise((r) => setTimeout(r, 3));
    }
    if (point.kind === 'script' || point.kind === 'steps')
      await new Promise((r) => setTimeout(r, point.offsetMs));
  }

  async function ledger(i: number): Promise<{ finished: boolean; rolledBack: boolean }[]> {
    const r = await watcher.query<{ finished: boolean; rolled_back: boolean }>(
      `SELECT finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM _prisma_migrations WHERE migration_name LIKE $1 ORDER BY started_at`,
      [`%_trial_${i}`],
    );
    return r.rows.map((x) => ({ finished: x.finished, rolledBack: x.rolled_back }));
  }

  const describeLedger = (rows: { finished: boolean; rolledBack: boolean }[]): string =>
    rows.length === 0
      ? 'no row'
      : rows.map((r) => (r.finished ? 'finished' : r.rolledBack ? 'rolled back' : 'unfinished')).join(', ');

  async function restoreRun(runId: string, ts: string): Promise<void> {
    await s.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_restore',
      value: runId,
    });
    const view = await s.emu.waitFor(() => [...s.emu.views.values()].find((v) => v.open && v.user === BOB), {
      what: 'restore modal',
      timeoutMs: 20_000,
    });
    await s.emu.submitView({
      user: BOB,
      viewId: view.id,
      values: { confirm: { confirm_text: 'RESTORE staging' } },
    });
    await waitTerminal(runId, ['restored']);
  }

  it(`${TRIALS.length} trials: the side effect exists exactly once every time, and the ledger agrees with the schema`, async () => {
    for (const [index, point] of TRIALS.entries()) {
      const i = index + 1;
      const name = `2025020100${String(i).padStart(4, '0')}_trial_${i}`;
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'migration.sql'), migrationSql(i, point));

      let bot: BotProcess = await s.start();
      const { runId, ts } = await requestAndApprove();
      await waitKillPoint(i, point);
      await killHard(bot);
      const stored = s.run(runId);
      const step = s.runningSteps(runId).join(', ') || stored?.state || '?';
      const afterKill = describeLedger(await ledger(i));

      bot = await s.start();
      let offered = 'nothing (run had ended)';
      let verdict = '-';
      let followed = 'nothing';
      if (stored && !['done', 'failed', 'succeeded'].includes(stored.state)) {
        const msg = await s.emu.waitFor(
          () => {
            const m = runMessageOf(runId);
            return m && /interrupted/.test(blocksText(m)) && !buttonsOf(m).includes('run_cancel')
              ? m
              : undefined;
          },
          { what: `run ${runId} message updated after the restart`, timeoutMs: 30_000 },
        );
        const buttons = buttonsOf(msg);
        if (process.env.TRIALS_DEBUG)
          console.log(blocksText(msg), (msg.replies ?? []).map((r) => blocksText(r)).join('\n'));
        offered = buttons.map((b) => b.replace('run_', '')).join(' ');
        verdict =
          /left behind:\*? ([^.]*)/.exec(blocksText(msg))?.[1]?.slice(0, 60) ?? 'no migration under way';
        const rowsNow = await ledger(i);
        const unfinishedRow = rowsNow.some((r) => !r.finished && !r.rolledBack);
        if (buttons.includes('run_mark_rolled_back') && unfinishedRow) {
          await s.emu.clickButton({
            user: BOB,
            channel: CHANNEL,
            messageTs: ts,
            actionId: 'run_mark_rolled_back',
            value: runId,
          });
          await waitTerminal(runId, ['rolled_back']);
          followed = 'Mark rolled back';
        } else if (point.kind === 'steps' && unfinishedRow) {
          // Partly applied: the honest way back is the backup.
          expect(buttons).not.toContain('run_mark_rolled_back');
          expect(buttons).toContain('run_restore');
          await restoreRun(runId, ts);
          followed = 'Restore backup';
        }
        // A migration that committed is never offered as "rolled back".
        if ((await ledger(i)).some((r) => r.finished)) expect(followed).not.toBe('Mark rolled back');
      }
      // Still pending? Deploy again.
      if (!(await ledger(i)).some((r) => r.finished && !r.rolledBack)) {
        const again = await requestAndApprove();
        expect(await waitTerminal(again.runId, ['done', 'failed'])).toBe('done');
        followed += ' + deploy again';
      }
      const count = Number(
        (
          await watcher.query<{ n: string }>(
            'SELECT count(*)::text AS n FROM side_effects WHERE trial = $1',
            [i],
          )
        ).rows[0]?.n,
      );
      records.push({
        trial: i,
        kill: point.kind + ('offsetMs' in point ? `+${point.offsetMs}ms` : ''),
        step,
        ledgerAfterKill: afterKill,
        offered,
        verdict,
        followed,
        count,
      });
      expect(count).toBe(1);
      const rows = await ledger(i);
      expect(rows.filter((r) => r.finished && !r.rolledBack)).toHaveLength(1);
      expect(rows.filter((r) => !r.finished && !r.rolledBack)).toHaveLength(0);
      const table = await watcher.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
        `"trial_${i}"`,
      ]);
      expect(table.rows[0]?.t).not.toBeNull();
      await killHard(bot);
    }
  }, 600_000);
});
