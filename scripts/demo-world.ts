/**
 * What `npm run demo` runs against, all on this machine: a throwaway PostgreSQL 15 with the example
 * shop at last week's release (two migrations applied, some users), a stand-in for the shop app (a
 * directory its maintenance/cache hooks write to, and a loopback `/health`), the Slack emulator and
 * the real bot configured for one environment.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { deploy } from '../src/migrations/deploy.js';
import { startTestBot, type TestBot } from '../test/support/bot.js';
import { startHttpTarget, type HttpTarget } from '../test/support/http-target.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';
import { narrate, note } from './terminal-transcript.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MIGRATIONS = join(root, 'examples/shop/prisma/migrations');
export const ALICE = 'U0ALICE01';
export const BOB = 'U0BOB0001';
const USERS = 2000;

/** Everything the demo started; `stop()` undoes it (safe to call on a half-built world). */
export interface DemoWorld {
  env: string;
  bot: TestBot;
  app: HttpTarget;
  /** The shop app's directory: its maintenance flag and cache live here. */
  appDir: string;
  stop(): Promise<void>;
}

/** The hooks the runbook calls, as a person would configure them for a small Node app. */
function hooks(appDir: string): Record<string, unknown> {
  return {
    maintenance: {
      on: [
        'node',
        '-e',
        "fs.writeFileSync('MAINTENANCE', 'back soon'); console.log('shop: maintenance page on')",
      ],
      off: ['node', '-e', "fs.rmSync('MAINTENANCE'); console.log('shop: maintenance page off')"],
    },
    postDeploy: [
      ['node', '-e', "fs.rmSync('cache', { recursive: true }); console.log('shop: product cache cleared')"],
    ],
    prisma: { cwd: appDir },
  };
}

async function createShopDatabase(cluster: ClusterInfo): Promise<string> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE shop');
  await admin.end();
  const url = databaseUrl(cluster, 'shop');
  const earlier = mkdtempSync(join(tmpdir(), 'drawbridge-demo-release-'));
  try {
    for (const dir of readdirSync(MIGRATIONS).sort().slice(0, 2)) {
      cpSync(join(MIGRATIONS, dir), join(earlier, dir), { recursive: true });
    }
    const first = await deploy({ databaseUrl: url, migrationsDir: earlier });
    note(`applied: ${first.applied.join(', ')}`);
  } finally {
    rmSync(earlier, { recursive: true, force: true });
  }
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(
    `INSERT INTO "User" (email, name, "createdAt")
     SELECT 'customer' || g || '@example.com', 'Customer ' || g, now() - g * interval '1 hour'
     FROM generate_series(1, ${USERS}) g`,
  );
  await db.end();
  note(`${USERS} customers signed up since then`);
  return url;
}

/** Starts everything; on failure, stops what was started and rethrows. */
export async function startDemoWorld(env: string): Promise<DemoWorld> {
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    stops.length = 0;
  };
  try {
    narrate('Starting a throwaway PostgreSQL 15 (machine binaries, data in a temp dir)');
    const cluster = await startCluster();
    stops.push(() => stopCluster(cluster));
    narrate("Creating the example shop's database as last week's release left it");
    const url = await createShopDatabase(cluster);

    narrate('Starting a stand-in for the shop app: a directory for its hooks and a loopback /health');
    const appDir = mkdtempSync(join(tmpdir(), 'drawbridge-demo-shop-'));
    mkdirSync(join(appDir, 'cache'));
    writeFileSync(join(appDir, 'cache', 'products.json'), '[]\n');
    const previousCwd = process.cwd();
    // The maintenance hooks run in the bot's working directory, as they would on the app's host.
    process.chdir(appDir);
    stops.push(() => {
      process.chdir(previousCwd);
      rmSync(appDir, { recursive: true, force: true });
    });
    const app = await startHttpTarget();
    stops.push(() => app.close());
    note(`app dir ${appDir}; health at ${app.healthUrl}`);

    narrate('Starting the Slack emulator and the Drawbridge bot (HTTP mode)');
    const bot = await startTestBot({
      mode: 'http',
      logLevel: 'warn',
      environments: {
        [env]: {
          database: { urlEnv: 'SHOP_DATABASE_URL' },
          migrations: MIGRATIONS,
          approvals: { required: 1, approvers: [ALICE, BOB] },
          criticalTables: ['User', 'Product'],
          healthcheck: { url: app.healthUrl, retries: 2, timeoutMs: 2000 },
          ...hooks(appDir),
        },
      },
      vars: { SHOP_DATABASE_URL: url },
    });
    stops.push(() => bot.stop());
    note(`bot on 127.0.0.1:${bot.app.port}; Slack Web API emulated at ${bot.emu.apiUrl}`);
    note(`approvers of ${env}: alice and bob, one approval needed, never the requester's own`);
    console.log('');
    return { env, bot, app, appDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What the shop app's directory shows after the run: the hooks really ran. */
export function appEvidence(world: DemoWorld): string {
  const maintenance = existsSync(join(world.appDir, 'MAINTENANCE')) ? 'still ON' : 'off again';
  const cache = existsSync(join(world.appDir, 'cache')) ? 'not cleared' : 'cleared';
  const health = world.app.requests.filter((r) => r.path === '/health');
  return `shop app: maintenance page ${maintenance}, product cache ${cache}, /health asked ${health.length} time(s) (${health.map((r) => r.status).join(', ')})`;
}
