/**
 * Issue 10: nothing that leaves the bot can change a run or be lost. Statuspage answering 500s and
 * a lost answer through a whole run, and Slack failing a share of its calls (500, 429 with
 * Retry-After, HTTP 200 ok:false, an answer after the client's timeout) during a deploy: the run
 * ends done, every message arrives exactly once and in order, and the status page ends completed
 * with its components operational. Real PostgreSQL, the Slack and Statuspage emulators.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, currentMessage, requestAndApprove, threadOf } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import { startStatuspageEmulator, type StatuspageEmulator } from '../support/statuspage-emulator.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

/**
 * Asks for a deploy and approves it; `finished` is the run:finished event (awaited, not polled).
 * Each bot here runs one deploy, so the first run:finished is this run's.
 */
async function deployAndApprove(
  bot: TestBot,
): Promise<{ runId: string; ts: string; finished: Promise<{ state: string }> }> {
  const finished = bot.app.bot.bus.waitFor('run:finished', () => true, 60_000);
  const { runId, ts } = await requestAndApprove(bot, { requester: ALICE, approver: BOB });
  return { runId, ts, finished };
}

/** A database with the fixture's first migration applied, a Statuspage emulator, and a bot using both. */
async function startWithStatuspage(
  name: string,
  config: Record<string, unknown> = {},
): Promise<{ db: TestDatabase; sp: StatuspageEmulator; bot: TestBot }> {
  const db = await createTestDatabase(name);
  await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
  const sp = await startStatuspageEmulator({ components: [{ id: 'cmpapi000001', name: 'API' }] });
  const bot = await startTestBot({
    mode: 'http',
    config,
    environments: {
      staging: {
        database: { urlEnv: 'STAGING_DATABASE_URL' },
        migrations: fixture,
        approvals: { required: 1, approvers: [BOB] },
        statuspage: {
          pageId: sp.pageId,
          componentIds: ['cmpapi000001'],
          apiKeyEnv: 'STATUSPAGE_API_KEY',
          apiUrl: sp.url,
        },
      },
    },
    vars: { STAGING_DATABASE_URL: db.url, STATUSPAGE_API_KEY: sp.apiKey },
  });
  return { db, sp, bot };
}

describe('the status page down during a run', () => {
  let db: TestDatabase;
  let sp: StatuspageEmulator;
  let bot: TestBot;

  beforeAll(async () => {
    ({ db, sp, bot } = await startWithStatuspage('outbox_sp'));
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await sp?.close();
    await db?.drop();
  });

  it('the run ends done, its thread says so, and the maintenance ends completed with the components operational', async () => {
    // A 500, then an answer lost past the client's timeout (the incident is created all the same).
    sp.injectFaults([{ status: 500 }, { delayMs: 6000 }]);
    const { ts, finished } = await deployAndApprove(bot);
    expect((await finished).state).toBe('done');
    await bot.emu.waitFor(
      () =>
        threadOf(bot, CHANNEL, ts).find((m) =>
          blocksText(m).includes('The status page could not be updated'),
        ),
      { what: 'the late status page note', timeoutMs: 30_000 },
    );
    const left = await bot.app.bot.worker.drain(40_000);
    expect(left).toBe(0);
    // One maintenance, not two: the repeat looked for the one whose answer was lost.
    expect(sp.incidents).toHaveLength(1);
    expect(sp.incidents[0]?.status).toBe('completed');
    expect(sp.components.find((c) => c.id === 'cmpapi000001')?.status).toBe('operational');
    expect(blocksText(currentMessage(bot, CHANNEL, ts))).toContain('done');
  }, 90_000);
});

describe('Slack failing a share of its calls during a deploy', () => {
  let db: TestDatabase;
  let bot: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('outbox_slack');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    bot = await startTestBot({
      mode: 'http',
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
      slackTimeoutMs: 1500,
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  it('the run ends done, the message shows it, and every thread message appears exactly once, in order', async () => {
    const { ts, finished } = await deployAndApprove(bot);
    const emu = bot.emu;
    emu.injectFault('chat.postMessage', { kind: 'http', status: 500 }, { every: 5, count: 3 });
    emu.injectFault('chat.postMessage', { kind: 'ratelimit', retryAfterSec: 1 }, { every: 7, count: 2 });
    emu.injectFault('chat.postMessage', { kind: 'error', error: 'internal_error' }, { every: 4, count: 2 });
    emu.injectFault('chat.postMessage', { kind: 'delay', ms: 2500 }, 1);
    emu.injectFault(
      'chat.update',
      { kind: 'error', error: 'ratelimited', retryAfterSec: 1 },
      { every: 3, count: 3 },
    );
    emu.injectFault('chat.update', { kind: 'http', status: 503 }, { every: 5, count: 2 });
    expect((await finished).state).toBe('done');
    expect(await bot.app.bot.worker.drain(60_000)).toBe(0);
    emu.clearFaults();
    expect(blocksText(currentMessage(bot, CHANNEL, ts))).toContain('done');
    const titles = threadOf(bot, CHANNEL, ts).map((m) => blocksText(m).split('\n')[0] ?? '');
    // Exactly once each.
    expect(new Set(titles).size).toBe(titles.length);
    // In the order the run produced them.
    const order = ['Preflight', 'Deploying', 'Backup', 'Verify', 'applied and verified'];
    const at = order.map((o) => titles.findIndex((t) => t.includes(o)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const faults = emu.calls.filter((c) => c.response.ok !== true).length;
    expect(faults).toBeGreaterThan(0);
  }, 120_000);
});

describe('a delivery given up after the horizon', () => {
  let db: TestDatabase;
  let sp: StatuspageEmulator;
  let bot: TestBot;

  beforeAll(async () => {
    ({ db, sp, bot } = await startWithStatuspage('outbox_giveup', { delivery: { horizonHours: 0.001 } }));
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await sp?.close();
    await db?.drop();
  });

  it('says so in the thread and in /migrate history, and the run stays done', async () => {
    sp.injectFaults(Array.from({ length: 200 }, () => ({ status: 500 })));
    const { runId, ts, finished } = await deployAndApprove(bot);
    expect((await finished).state).toBe('done');
    await bot.emu.waitFor(
      () => threadOf(bot, CHANNEL, ts).find((m) => blocksText(m).includes('Drawbridge gave up')),
      { what: 'the given-up note', timeoutMs: 30_000 },
    );
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'history staging' });
    const hist = await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: ALICE })
          .map((m) => blocksText(m))
          .find((t) => t.includes('History · staging')),
      { what: 'history', timeoutMs: 20_000 },
    );
    expect(hist).toContain('could not be delivered');
    expect(bot.app.runs.find(runId)?.state).toBe('done');
  }, 90_000);
});
