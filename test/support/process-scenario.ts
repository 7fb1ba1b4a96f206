/**
 * A scenario with the bot as a real process (bot-process.ts) that can be stopped — gracefully or with
 * SIGKILL — and started again on the same data directory, talking to one Slack emulator in the test
 * process. Also reads the bot's own store the way an operator would (read-only, while it runs).
 *
 *   const s = await startProcessScenario({ environments: { staging: {...} }, vars: { STAGING_URL: db.url } });
 *   const bot = await s.start();
 *   await s.stopGracefully(bot);
 *   await s.close();
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHANNEL, SECRETS } from './bot.js';
import { killHard, startBotProcess, waitHealthy, type BotProcess } from './bot-process.js';
import { freePort } from './pg-cluster.js';
import { startSlackEmulator } from './slack-emulator/index.js';
import type { SlackEmulator } from './slack-emulator/types.js';

/** A run row as the store holds it. */
export interface StoredRunRow {
  state: string;
  outcome: string | null;
}

export interface ProcessScenario {
  readonly emu: SlackEmulator;
  readonly dataDir: string;
  /**
   * Stops a bot still running from an earlier start, starts one on a fresh port, waits for /healthz,
   * and points the emulator at it.
   */
  start(): Promise<BotProcess>;
  /** SIGTERM, then waits (at most `timeoutMs`) for the process to exit. */
  stopGracefully(
    bot: BotProcess,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The run's row in the store. */
  run(id: string): StoredRunRow | undefined;
  /** Outbox items neither delivered nor given up. */
  pendingDeliveries(): number;
  /** Names of the run's steps recorded as running. */
  runningSteps(id: string): string[];
  /** Lock rows of the store. */
  locks(): { environment: string; run_id: string }[];
  /** Audit actions of one run, oldest first. */
  auditActions(runId: string): string[];
  /** Kills what is still running, closes the emulator, removes the directory. */
  close(): Promise<void>;
}

export async function startProcessScenario(opts: {
  /** The YAML `environments` block. */
  environments: Record<string, unknown>;
  /** Variables the bot gets (database URLs…). */
  vars: Record<string, string>;
  /** Other top-level configuration keys (e.g. `shutdown`). */
  config?: Record<string, unknown>;
}): Promise<ProcessScenario> {
  const emu = await startSlackEmulator({ signingSecret: SECRETS.signingSecret, botToken: SECRETS.botToken });
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-process-'));
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'drawbridge.yml');
  writeFileSync(
    configPath,
    stringify({ slack: { channel: CHANNEL }, ...opts.config, environments: opts.environments }),
  );
  const env = {
    DRAWBRIDGE_CONFIG: configPath,
    DRAWBRIDGE_DATA_DIR: dataDir,
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: emu.apiUrl,
    LOG_LEVEL: 'info',
    ...opts.vars,
  };
  const bots: BotProcess[] = [];
  const withDb = <T>(fn: (d: Database.Database) => T): T => {
    const d = new Database(join(dataDir, 'drawbridge.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return fn(d);
    } finally {
      d.close();
    }
  };
  const scenario: ProcessScenario = {
    emu,
    dataDir,
    async start() {
      // One bot at a time, as a restart is: a bot an earlier step left running stops first (a test
      // of two bots on one store says so, test/scenarios/two-bots-one-store.test.ts).
      for (const running of bots.filter((b) => b.alive())) await scenario.stopGracefully(running);
      const port = await freePort();
      const bot = startBotProcess({ ...env, PORT: String(port) });
      bots.push(bot);
      await waitHealthy(bot, port);
      emu.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
      return bot;
    },
    async stopGracefully(bot, timeoutMs = 40_000) {
      if (bot.alive()) bot.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`bot did not exit within ${timeoutMs} ms of SIGTERM`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([bot.exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    run: (id) =>
      withDb(
        (d) => d.prepare('select state, outcome from runs where id = ?').get(id) as StoredRunRow | undefined,
      ),
    pendingDeliveries: () =>
      withDb(
        (d) =>
          (
            d
              .prepare('select count(*) as n from outbox where sent_at is null and gave_up_at is null')
              .get() as { n: number }
          ).n,
      ),
    runningSteps: (id) =>
      withDb((d) =>
        (
          d
            .prepare(`select name from run_steps where run_id = ? and state = 'running' order by seq`)
            .all(id) as {
            name: string;
          }[]
        ).map((r) => r.name),
      ),
    locks: () =>
      withDb((d) => d.prepare('select environment, run_id from environment_locks').all()) as {
        environment: string;
        run_id: string;
      }[],
    auditActions: (runId) =>
      withDb((d) =>
        (
          d.prepare('select action from audit where run_id = ? order by id').all(runId) as {
            action: string;
          }[]
        ).map((r) => r.action),
      ),
    async close() {
      for (const bot of bots) await killHard(bot).catch(() => undefined);
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return scenario;
}
