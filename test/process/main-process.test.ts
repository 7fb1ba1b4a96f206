/**
 * The bot as a real process (`src/main.ts`): refuses a bad configuration with exit 2 and a message
 * naming the key; serves /healthz and commands; on SIGTERM finishes the work under way and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/pg-cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { CHANNEL, SECRETS } from '../support/bot.js';
import { startSlackEmulator } from '../support/slack-emulator/index.js';
import type { SlackEmulator } from '../support/slack-emulator/types.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/fixtures/slack-status/migrations');

function startBot(env: Record<string, string>): {
  child: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out, exited };
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('bot did not become healthy within 15 s');
}

describe('the bot process', () => {
  let db: TestDatabase;
  let emu: SlackEmulator;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('process');
    emu = await startSlackEmulator({ signingSecret: SECRETS.signingSecret, botToken: SECRETS.botToken });
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-proc-'));
  });

  afterAll(async () => {
    await emu.close();
    await db.drop();
  });

  it('exits 2 naming the key and the problem when the configuration is bad', async () => {
    const cfg = join(dir, 'bad.yml');
    writeFileSync(
      cfg,
      `slack: { channel: ${CHANNEL} }\nenvironments:\n  production:\n    database: { urlEnv: X }\n    approvals: { required: 0 }\n`,
    );
    const bot = startBot({
      DRAWBRIDGE_CONFIG: cfg,
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    });
    expect(await bot.exited).toBe(2);
    expect(bot.out.join('')).toContain('environments.production.approvals.required: expected a number >= 1');
  });

  it('serves commands and drains on SIGTERM, exiting 0', async () => {
    const cfg = join(dir, 'drawbridge.yml');
    writeFileSync(
      cfg,
      `slack: { channel: ${CHANNEL} }\nenvironments:\n  staging:\n    database: { urlEnv: STAGING_DATABASE_URL }\n    migrations: ${fixture}\n`,
    );
    const port = await freePort();
    const bot = startBot({
      DRAWBRIDGE_CONFIG: cfg,
      DRAWBRIDGE_DATA_DIR: join(dir, 'data'),
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: emu.apiUrl,
      PORT: String(port),
      STAGING_DATABASE_URL: db.url,
    });
    try {
      await waitHealthy(port);
      emu.setRequestUrl(`http://127.0.0.1:${port}/slack/events`);
      const delivery = await emu.slashCommand({
        user: 'U0ALICE01',
        channel: CHANNEL,
        text: 'status staging',
      });
      expect(delivery.status).toBe(200);
      bot.child.kill('SIGTERM');
      const code = await bot.exited;
      expect(code).toBe(0);
      // The status work that was under way at SIGTERM was finished before exit.
      expect(emu.transcript(CHANNEL).some((m) => m.text.includes('Migration status for staging'))).toBe(true);
      const logs = bot.out.join('');
      expect(logs).toContain('shutting down: draining work under way');
      expect(logs).toContain('"msg":"stopped"');
      expect(logs).not.toContain(new URL(db.url).password);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    }
  });
});
