/**
 * Runs the whole bot in-process against the loopback Slack emulator and a real PostgreSQL: a config
 * file written to a temp dir, the real composition root, the real Bolt app (HTTP or Socket Mode).
 * Logs are captured line by line so tests can read them (and check that no secret is in them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { Clock } from '../../src/base/clock.js';
import { createLogger } from '../../src/base/logger.js';
import { launchBot, type RunningBot } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { CoreDeps } from '../../src/core/deps.js';
import type { Ticker } from '../../src/core/ticker.js';
import { startSlackEmulator } from './slack-emulator/index.js';
import type { EmulatorOptions, SlackEmulator } from './slack-emulator/types.js';

export const SECRETS = {
  signingSecret: 'test-signing-secret-8f742231b10e',
  botToken: 'xoxb-1111-2222-testbottokenvalue',
  appToken: 'xapp-1-A0MIGBOT1-3333-testapptokenvalue',
};

export const CHANNEL = 'C0MIGRATE1';

export interface TestBot {
  emu: SlackEmulator;
  /** The running bot (composition root): runs, messenger, the outbox (`app.bot`), the Slack app. */
  app: RunningBot;
  deps: CoreDeps;
  logs: string[];
  dataDir: string;
  configPath: string;
  /** Stops the bot and (unless `keepEmulator`, or it was given in `restartOf`) its Slack emulator. */
  stop(keepEmulator?: boolean): Promise<void>;
}

export interface StartBotOptions {
  mode: 'http' | 'socket';
  /** The YAML `environments` block (urlEnv names must be in `vars`). */
  environments: Record<string, unknown>;
  /** Extra process variables (database URLs...). */
  vars?: Record<string, string>;
  emulator?: Partial<EmulatorOptions>;
  clock?: Clock;
  logLevel?: string;
  /** Other top-level configuration keys (e.g. `webhooks`). */
  config?: Record<string, unknown>;
  /** How long one Slack delivery call may take (default 10 s). */
  slackTimeoutMs?: number;
  /** The scheduled work's ticker (default: node-cron every minute); tests pass a ManualTicker. */
  ticker?: Ticker;
  /**
   * Start again where an earlier bot stopped: its directory (config and data) and its Slack
   * emulator (kept open; the caller closes it). `stop()` then leaves the emulator open too.
   */
  restartOf?: { dir: string; emu: SlackEmulator };
}

export async function startTestBot(opts: StartBotOptions): Promise<TestBot> {
  const dir = opts.restartOf?.dir ?? mkdtempSync(join(tmpdir(), 'drawbridge-bot-'));
  const configPath = join(dir, 'drawbridge.yml');
  writeFileSync(
    configPath,
    stringify({ slack: { channel: CHANNEL }, ...opts.config, environments: opts.environments }),
  );
  const emu =
    opts.restartOf?.emu ??
    (await startSlackEmulator({
      signingSecret: SECRETS.signingSecret,
      botToken: SECRETS.botToken,
      appToken: SECRETS.appToken,
      ...opts.emulator,
    }));
  const dataDir = join(dir, 'data');
  const config = loadConfig({
    vars: {
      ...opts.vars,
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      ...(opts.mode === 'socket' ? { SLACK_APP_TOKEN: SECRETS.appToken } : {}),
      SLACK_API_URL: emu.apiUrl,
      PORT: '0',
      DRAWBRIDGE_CONFIG: configPath,
      DRAWBRIDGE_DATA_DIR: dataDir,
    },
    requireSlack: true,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: opts.logLevel ?? 'debug', destination: sink });
  const app = await launchBot(config, logger, {
    port: 0,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.slackTimeoutMs ? { slackTimeoutMs: opts.slackTimeoutMs } : {}),
    ...(opts.ticker ? { ticker: opts.ticker } : {}),
  });
  const deps = app.bot.deps;
  if (opts.mode === 'http') {
    emu.setRequestUrl(`http://127.0.0.1:${app.port}/slack/events`);
  } else {
    await emu.waitForSocket(1, 10_000);
    emu.setMode('socket');
  }
  return {
    emu,
    app,
    deps,
    logs,
    dataDir,
    configPath,
    async stop(keepEmulator = false) {
      await app.stop(10_000);
      if (!keepEmulator && !opts.restartOf) await emu.close();
    },
  };
}
