/**
 * A whole scenario with known secrets (database password, signing secret, bot and app tokens):
 * none of them may appear in the logs, in any Slack call or message, or anywhere in the store.
 */
import Database from 'better-sqlite3';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/pg-cluster.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { seedLedger } from '../support/seed-ledger.js';
import { CHANNEL, SECRETS, startTestBot, type TestBot } from '../support/bot.js';
import { describeError, DrawbridgeError } from '../../src/base/errors.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/slack-status/migrations');

describe('secrets never leave the process', () => {
  let db: TestDatabase;
  let bot: TestBot;
  const wrongPassword = 'Wr0ng-Passw0rd-For-Redaction';

  beforeAll(async () => {
    db = await createTestDatabase('redaction');
    await seedLedger(db.url, fixture, { applied: ['20240101000000_init'] });
    const badAuth = new URL(db.url);
    badAuth.password = wrongPassword;
    bot = await startTestBot({
      mode: 'http',
      logLevel: 'trace',
      environments: {
        staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations: fixture },
        wrongpw: { database: { urlEnv: 'WRONGPW_DATABASE_URL' }, migrations: fixture },
        down: { database: { urlEnv: 'DOWN_DATABASE_URL' }, migrations: fixture },
      },
      vars: {
        STAGING_DATABASE_URL: db.url,
        WRONGPW_DATABASE_URL: badAuth.toString(),
        DOWN_DATABASE_URL: `postgres://app:${wrongPassword}@127.0.0.1:${await freePort()}/x?connect_timeout=2`,
      },
    });
  });

  afterAll(async () => {
    await bot?.stop();
    await db?.drop();
  });

  it('keeps every known secret out of logs, Slack and the store', async () => {
    const user = 'U0ALICE01';
    for (const text of ['status staging', 'status wrongpw', 'status down', `status ${SECRETS.botToken}`]) {
      await bot.emu.slashCommand({ user, channel: CHANNEL, text });
    }
    await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user }).filter((m) => m.text.includes('Could not read')).length >= 2,
      {
        what: 'both failure replies',
        timeoutMs: 15_000,
      },
    );
    await bot.emu.waitFor(
      () => bot.emu.transcript(CHANNEL).some((m) => m.text.includes('Migration status for staging')),
      {
        what: 'the status message',
      },
    );
    // An error that quotes a URL with its password, as drivers sometimes do, is redacted too.
    bot.deps.logger.error(
      { err: describeError(new DrawbridgeError('X', `cannot use ${db.url}`)) },
      'synthetic',
    );
    bot.deps.store.audit({
      actor: user,
      action: 'test:secrets',
      detail: { url: db.url, token: SECRETS.botToken },
    });

    const password = new URL(db.url).password;
    const secrets = [password, wrongPassword, SECRETS.signingSecret, SECRETS.botToken, SECRETS.appToken];
    const logs = bot.logs.join('\n');
    // The bot authenticates to Slack with its token (header, and body for auth.test): that is the one
    // place the token belongs. Everything else sent to Slack is checked.
    const slack = JSON.stringify({
      calls: bot.emu.calls.map(({ token: _token, args, ...rest }) => ({
        ...rest,
        args: { ...args, token: undefined },
      })),
      transcript: bot.emu.transcript(CHANNEL),
      ephemerals: bot.emu.ephemerals(),
    });
    const sqlite = new Database(join(bot.dataDir, 'drawbridge.sqlite'), { readonly: true });
    const tables = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    const store = JSON.stringify(tables.map((t) => sqlite.prepare(`SELECT * FROM "${t.name}"`).all()));
    sqlite.close();

    expect(logs.length).toBeGreaterThan(100);
    expect(store).toContain('test:secrets');
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(slack).not.toContain(secret);
      expect(store).not.toContain(secret);
    }
    // The failures are still useful: they name the host and the reason.
    const failures = bot.emu.ephemerals({ user }).filter((m) => m.text.includes('Could not read'));
    expect(failures.map((m) => m.text).join('\n')).toMatch(/password authentication failed|P1000/);
  });
});
