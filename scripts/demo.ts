/**
 * `npm run demo`: Drawbridge end to end on this machine, without a Slack workspace. It starts a
 * throwaway PostgreSQL 15, applies half of the example shop's migrations (as an earlier release
 * would have), starts the loopback Slack emulator and the real bot, and plays a conversation in
 * the channel, printing what people would see in Slack.
 */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { deploy } from '../src/migrations/deploy.js';
import { CHANNEL, startTestBot, type TestBot } from '../test/support/bot.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';
import { printMessage } from './terminal-transcript.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const migrations = join(root, 'examples/shop/prisma/migrations');
const ALICE = 'U0ALICE01';

function step(text: string): void {
  console.log(`\u001b[36m▶ ${text}\u001b[0m`);
}

async function say(bot: TestBot, text: string): Promise<void> {
  const seen = new Set([...bot.emu.transcript(CHANNEL), ...bot.emu.ephemerals()].map((m) => m.ts));
  console.log(`\u001b[1malice:\u001b[0m /migrate ${text}\n`);
  const delivery = await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text });
  const ack = (delivery.json as { text?: string } | undefined)?.text ?? delivery.body;
  if (ack) printMessage('drawbridge (only visible to you)', { text: ack });
  // Wait for the answer that comes after the acknowledgement, if any.
  await bot.emu
    .waitFor(
      () =>
        [...bot.emu.transcript(CHANNEL), ...bot.emu.ephemerals()].some(
          (m) => !seen.has(m.ts) && m.source !== 'ack',
        ),
      {
        timeoutMs: 5000,
      },
    )
    .catch(() => undefined);
  for (const m of [...bot.emu.transcript(CHANNEL), ...bot.emu.ephemerals({ user: ALICE })]) {
    if (seen.has(m.ts) || m.source === 'ack') continue;
    printMessage(m.ephemeral_to ? 'drawbridge (only visible to you)' : 'drawbridge', m);
  }
}

async function main(): Promise<void> {
  step('Starting a throwaway PostgreSQL 15 (machine binaries, data in a temp dir)');
  const cluster: ClusterInfo = await startCluster();
  let bot: TestBot | undefined;
  try {
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE shop');
    await admin.end();
    const url = databaseUrl(cluster, 'shop');

    step("Applying the first two example migrations, as last week's release did");
    const earlier = mkdtempSync(join(tmpdir(), 'drawbridge-demo-'));
    for (const dir of readdirSync(migrations).sort().slice(0, 2)) {
      cpSync(join(migrations, dir), join(earlier, dir), { recursive: true });
    }
    const first = await deploy({ databaseUrl: url, migrationsDir: earlier });
    console.log(`  applied: ${first.applied.join(', ')}\n`);

    step('Starting the Slack emulator and the Drawbridge bot (HTTP mode)');
    bot = await startTestBot({
      mode: 'http',
      logLevel: 'warn',
      environments: { staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations } },
      vars: { STAGING_DATABASE_URL: url },
    });
    console.log(
      `  bot listening on 127.0.0.1:${bot.app.port}; Slack Web API emulated at ${bot.emu.apiUrl}\n`,
    );

    step('A conversation in #platform-migrations');
    await say(bot, 'help');
    await say(bot, 'status staging');
    await say(bot, 'status production');
    console.log('Demo finished: everything above went through real Slack wire formats and a real database.');
  } finally {
    await bot?.stop();
    stopCluster(cluster);
  }
}

await main();
