/**
 * A whole scenario with known secrets (database passwords, a five-character one among them, signing
 * secret, bot and app tokens): none of them may appear in the logs, in any Slack call or message, or
 * anywhere in the store (audit entries included).
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
  // Issue 9, defect 7: passwords shorter than six characters were not redacted at all.
  const shortPassword = 'pw5x!';
  const shortWrongPassword = 'hunt2';
  const shortRole = `short_pw_${process.pid}`;

  beforeAll(async () => {
    db = await createTestDatabase('redaction');
    await seedLedger(db.url, fixture, { applied: ['20240101000000_init'] });
    const badAuth = new URL(db.url);
    badAuth.password = wrongPassword;
    // A real login role whose password has five characters, allowed to read the ledger.
    await db.query(`CREATE ROLE ${shortRole} LOGIN PASSWORD '${shortPassword}'`);
    await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${shortRole}`);
    const shortAuth = new URL(db.url);
    shortAuth.username = shortRole;
    shortAuth.password = shortPassword;
    const shortWrongAuth = new URL(shortAuth);
    shortWrongAuth.password = shortWrongPassword;
    bot = await startTestBot({
      mode: 'http',
      logLevel: 'trace',
      environments: {
        staging: { database: { urlEnv: 'STAGING_DATABASE_URL' }, migrations: fixture },
        wrongpw: { database: { urlEnv: 'WRONGPW_DATABASE_URL' }, migrations: fixture },
        down: { database: { urlEnv: 'DOWN_DATABASE_URL' }, migrations: fixture },
        short: { database: { urlEnv: 'SHORT_DATABASE_URL' }, migrations: fixture },
        shortwrong: { database: { urlEnv: 'SHORTWRONG_DATABASE_URL' }, migrations: fixture },
      },
      vars: {
        STAGING_DATABASE_URL: db.url,
        WRONGPW_DATABASE_URL: badAuth.toString(),
        DOWN_DATABASE_URL: `postgres://app:${wrongPassword}@127.0.0.1:${await freePort()}/x?connect_timeout=2`,
        SHORT_DATABASE_URL: shortAuth.toString(),
        SHORTWRONG_DATABASE_URL: shortWrongAuth.toString(),
      },
    });
  });

  afterAll(async () => {
    await bot?.stop();
    await db?.query(`DROP OWNED BY ${shortRole}`).catch(() => undefined);
    await db?.query(`DROP ROLE IF EXISTS ${shortRole}`).catch(() => undefined);
    await db?.drop();
  });

  it('keeps every known secret out of logs, Slack and the store', async () => {
    const user = 'U0ALICE01';
    for (const text of [
      'status staging',
      'status wrongpw',
      'status down',
      'status short',
      'status shortwrong',
      `status ${SECRETS.botToken}`,
      `status ${shortPassword}`,
    ]) {
      await bot.emu.slashCommand({ user, channel: CHANNEL, text });
    }
    await bot.emu.waitFor(
      () => bot.emu.ephemerals({ user }).filter((m) => m.text.includes('Could not read')).length >= 3,
      {
        what: 'the three failure replies',
        timeoutMs: 15_000,
      },
    );
    for (const env of ['staging', 'short']) {
      await bot.emu.waitFor(
        () => bot.emu.transcript(CHANNEL).some((m) => m.text.includes(`Migration status for ${env}`)),
        { what: `the status message of ${env}` },
      );
    }
    // An error that quotes a URL with its password, as drivers sometimes do, is redacted too.
    bot.deps.logger.error(
      { err: describeError(new DrawbridgeError('X', `cannot use ${db.url}`)) },
      'synthetic',
    );
    // A short password quoted on its own (a driver message, a person pasting it), not in a URL.
    bot.deps.logger.error(
      { err: describeError(new DrawbridgeError('X', `login with ${shortPassword} refused`)) },
      `tried "${shortWrongPassword}"`,
    );
    bot.deps.store.audit({
      actor: user,
      action: 'test:secrets',
      detail: {
        url: db.url,
        token: SECRETS.botToken,
        password: shortPassword,
        note: `then ${shortWrongPassword}`,
      },
    });

    const password = new URL(db.url).password;
    const secrets = [
      password,
      wrongPassword,
      shortPassword,
      shortWrongPassword,
      SECRETS.signingSecret,
      SECRETS.botToken,
      SECRETS.appToken,
    ];
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
