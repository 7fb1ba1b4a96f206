import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseFileConfig } from '../../src/config/load-config.js';
import { redact } from '../../src/base/redact.js';

const valid = `
slack: { channel: C0MIGRATE1 }
environments:
  staging:
    database: { urlEnv: STAGING_DATABASE_URL }
    migrations: ./prisma/migrations
  production:
    database: { urlFile: ./secrets/prod_url }
    approvals: { required: 2, approvers: [U0AAAAAAA, S0BBBBBBB] }
`;

function problemsOf(text: string): string[] {
  try {
    parseFileConfig(text, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('accepts a valid file, applies defaults and resolves paths against the file', () => {
    const file = parseFileConfig(valid, '/srv/app');
    const staging = file.environments.staging!;
    expect(staging.migrations).toBe('/srv/app/prisma/migrations');
    expect(staging.runner).toBe('native');
    expect(staging.lockTimeoutMs).toBe(3000);
    expect(staging.approvals).toEqual({
      required: 1,
      approvers: [],
      allowSelfApproval: false,
      expiresAfterMinutes: 60,
    });
    expect(file.environments.production!.database.urlFile).toBe('/srv/app/secrets/prod_url');
    expect(staging.commandEnv).toEqual([]);
  });

  it.each([
    [
      valid.replace('required: 2', 'required: 0'),
      'environments.production.approvals.required: expected a number >= 1',
    ],
    [
      valid.replace('U0AAAAAAA', 'alice'),
      'environments.production.approvals.approvers.0: expected a Slack user id (U…) or user group id (S…)',
    ],
    [
      valid.replace('{ urlEnv: STAGING_DATABASE_URL }', '{ }'),
      'environments.staging.database: expected exactly one of urlEnv or urlFile',
    ],
    [
      valid.replace('migrations: ./prisma/migrations', 'commandEnv: [railway_token]'),
      'environments.staging.commandEnv.0: expected an environment variable name',
    ],
    [valid.replace('C0MIGRATE1', "'#general'"), 'slack.channel: expected a Slack channel id (C…)'],
    [valid + '\nextra: 1\n', '(top level): Unrecognized key: "extra"'],
    [
      valid.replace(
        'migrations: ./prisma/migrations',
        'migrations: ./prisma/migrations\n    lockTimeoutMs: -5',
      ),
      'environments.staging.lockTimeoutMs: expected a number >= 0',
    ],
    ['slack: [', 'YAML:'],
  ])('names the key and the problem (%#)', (text, expected) => {
    const problems = problemsOf(text);
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('loads env vars and the file, freezes the result and resolves secrets late', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-config-'));
    writeFileSync(join(dir, 'drawbridge.yml'), valid);
    writeFileSync(join(dir, 'prod_url'), 'postgres://app:S3cretProdPw@db.internal:5432/app\n');
    const config = loadConfig({
      vars: {
        DRAWBRIDGE_CONFIG: join(dir, 'drawbridge.yml'),
        STAGING_DATABASE_URL: 'postgres://app:StagingPw99@staging.internal/app',
        SLACK_BOT_TOKEN: 'xoxb-1-secretbot',
      },
    });
    expect(config.environmentNames).toEqual(['staging', 'production']);
    expect(Object.isFrozen(config.file.environments.staging)).toBe(true);
    expect(config.env.PORT).toBe(3000);
    expect(redact('pw StagingPw99')).toBe('pw StagingPw99'); // not read yet
    expect(config.secrets.databaseUrl('staging')).toContain('StagingPw99');
    expect(redact('pw StagingPw99')).toBe('pw ***'); // registered once read
    expect(() => config.secrets.databaseUrl('production')).toThrow(/cannot read/);
  });

  it('rejects bad environment variables and missing Slack credentials for the bot', () => {
    expect(() => loadConfig({ vars: { PORT: 'eighty' } })).toThrow(/PORT: /);
    expect(() => loadConfig({ vars: { SLACK_BOT_TOKEN: 'xoxp-user' } })).toThrow(
      /SLACK_BOT_TOKEN: expected a bot token/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-config-'));
    writeFileSync(join(dir, 'd.yml'), valid);
    expect(() => loadConfig({ vars: { DRAWBRIDGE_CONFIG: join(dir, 'd.yml') }, requireSlack: true })).toThrow(
      /SLACK_BOT_TOKEN: required/,
    );
  });

  describe('requireWindow', () => {
    const inProduction = (yaml: string): string =>
      valid.replace('  production:\n', `  production:\n    ${yaml}\n`);
    it.each([
      ['requireWindow: true', true],
      ['requireWindow: false', false],
      ['', false],
    ])('%j → %s', (yaml, expected) => {
      const file = parseFileConfig(inProduction(yaml), '/srv/app');
      expect(file.environments.production!.requireWindow).toBe(expected);
    });
    it('refuses a value that is not a boolean', () => {
      expect(problemsOf(inProduction('requireWindow: sometimes'))).toEqual([
        expect.stringMatching(/^environments\.production\.requireWindow: /),
      ]);
    });
  });

  it('refuses a rehearsal without a shadow database to run it on', () => {
    const yaml = valid.replace('  production:\n', '  production:\n    rehearsal: required\n');
    expect(problemsOf(yaml)).toEqual([
      'environments.production.rehearsal: a rehearsal runs on the shadow database: set shadowDatabase too, or remove rehearsal',
    ]);
  });

  describe('gate', () => {
    const inProduction = (yaml: string): string =>
      valid.replace('  production:\n', `  production:\n    ${yaml}\n`);

    it('accepts another environment and a fractional soak', () => {
      const file = parseFileConfig(inProduction('gate: { afterEnv: staging, soakHours: 0.5 }'), '/srv/app');
      expect(file.environments.production!.gate).toEqual({ afterEnv: 'staging', soakHours: 0.5 });
      expect(file.environments.staging!.gate).toBeUndefined();
    });

    it.each([
      [
        'gate: { afterEnv: qa, soakHours: 24 }',
        'environments.production.gate.afterEnv: there is no environment named `qa` (environments: staging, production)',
      ],
      [
        'gate: { afterEnv: production, soakHours: 24 }',
        'environments.production.gate.afterEnv: `production` is this environment itself; name the environment deploys must soak on first',
      ],
      [
        'gate: { afterEnv: staging, soakHours: 0 }',
        'environments.production.gate.soakHours: expected a number > 0',
      ],
      [
        'gate: { afterEnv: staging, soakHours: 24, soakDays: 1 }',
        expect.stringMatching(/^environments\.production\.gate: .*soakDays/),
      ],
      ['gate: { soakHours: 24 }', expect.stringMatching(/^environments\.production\.gate\.afterEnv: /)],
    ])('%s', (yaml, problem) => {
      expect(problemsOf(inProduction(yaml))).toEqual([problem]);
    });
  });

  describe('commandEnv', () => {
    const withCommandEnv = valid.replace(
      'migrations: ./prisma/migrations',
      'migrations: ./prisma/migrations\n    commandEnv: [RAILWAY_TOKEN, AWS_ACCESS_KEY_ID]',
    );
    function load(vars: Record<string, string>) {
      const dir = mkdtempSync(join(tmpdir(), 'drawbridge-config-'));
      writeFileSync(join(dir, 'drawbridge.yml'), withCommandEnv);
      return loadConfig({ vars: { DRAWBRIDGE_CONFIG: join(dir, 'drawbridge.yml'), ...vars } });
    }

    it('reads the named variables at start-up, per environment, and redacts their values from then on', () => {
      const config = load({
        RAILWAY_TOKEN: 'rw-token-7f3a9c',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE42',
        PATH: '/bin',
      });
      expect(config.commandEnv('staging')).toEqual({
        RAILWAY_TOKEN: 'rw-token-7f3a9c',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE42',
      });
      expect(config.commandEnv('production')).toEqual({});
      expect(redact('railway said rw-token-7f3a9c and AKIAEXAMPLE42')).toBe('railway said *** and ***');
    });

    it('stops at start-up naming each variable that is not set', () => {
      let error: unknown;
      try {
        load({ AWS_ACCESS_KEY_ID: '' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        "environments.staging.commandEnv.0: RAILWAY_TOKEN is not set in the bot's environment",
        "environments.staging.commandEnv.1: AWS_ACCESS_KEY_ID is not set in the bot's environment",
      ]);
    });
  });

  describe('maintenance windows, freezes and reminders', () => {
    const inProduction = (yaml: string): string =>
      valid.replace('  production:\n', `  production:\n    ${yaml}\n`);

    it('defaults to no windows, no freezes and reminders 48, 24 and 1 hours ahead', () => {
      const file = parseFileConfig(valid, '/srv/app');
      expect(file.environments.production!.windows).toEqual([]);
      expect(file.environments.production!.freezes).toEqual([]);
      expect(file.freezes).toEqual([]);
      expect(file.reminders).toEqual({ offsetsHours: [48, 24, 1] });
      expect(parseFileConfig(`${valid}reminders: {}\n`, '/srv/app').reminders).toEqual({
        offsetsHours: [48, 24, 1],
      });
    });

    it('reads recurring windows into { cron, durationMs, timezone, title }', () => {
      const file = parseFileConfig(
        inProduction(
          "windows: [{ cron: '0 2 * * TUE', duration: 1h30m, timezone: Europe/Oslo, title: Weekly }, { cron: '30 23 * * *', duration: 45m }]",
        ),
        '/srv/app',
      );
      expect(file.environments.production!.windows).toEqual([
        { cron: '0 2 * * TUE', durationMs: 90 * 60_000, timezone: 'Europe/Oslo', title: 'Weekly' },
        { cron: '30 23 * * *', durationMs: 45 * 60_000, timezone: 'UTC', title: 'Maintenance window' },
      ]);
    });

    it('reads freezes: ISO instants as written, dates as whole days in their time zone', () => {
      const file = parseFileConfig(
        `${inProduction("freezes: [{ from: '2026-06-01T08:00:00+02:00', to: '2026-06-01T20:00Z', reason: Launch }]")}` +
          'freezes:\n  - { from: 2026-12-24, to: 2026-12-26, reason: Christmas, timezone: Europe/Oslo }\n' +
          '  - { from: 2026-12-31, to: 2026-12-31, reason: New year }\n' +
          'reminders: { offsetsHours: [72, 0.5] }\n',
        '/srv/app',
      );
      expect(file.environments.production!.freezes).toEqual([
        {
          from: Date.parse('2026-06-01T06:00:00Z'),
          to: Date.parse('2026-06-01T20:00:00Z'),
          reason: 'Launch',
        },
      ]);
      expect(file.freezes).toEqual([
        {
          from: Date.parse('2026-12-23T23:00:00Z'),
          to: Date.parse('2026-12-26T23:00:00Z'),
          reason: 'Christmas',
        },
        {
          from: Date.parse('2026-12-31T00:00:00Z'),
          to: Date.parse('2027-01-01T00:00:00Z'),
          reason: 'New year',
        },
      ]);
      expect(file.reminders).toEqual({ offsetsHours: [72, 0.5] });
    });

    it.each([
      [
        "windows: [{ cron: '0 25 * * *', duration: 2h }]",
        expect.stringMatching(
          /^environments\.production\.windows\.0\.cron: "0 25 \* \* \*" is not a valid cron expression/,
        ),
      ],
      [
        "windows: [{ cron: 'every tuesday', duration: 2h }]",
        expect.stringMatching(/^environments\.production\.windows\.0\.cron: .*expected 5 fields/),
      ],
      [
        "windows: [{ cron: '0 2 * * TUE', duration: 25h }]",
        'environments.production.windows.0.duration: A window may last at most 24 h; "25h" is 25h.',
      ],
      [
        "windows: [{ cron: '0 2 * * TUE', duration: 2 hours }]",
        'environments.production.windows.0.duration: "2 hours" is not a duration; write it like 30m, 2h or 1h30m.',
      ],
      [
        "windows: [{ cron: '0 2 * * TUE', duration: 0m }]",
        'environments.production.windows.0.duration: A window must last longer than zero; "0m" is 0m.',
      ],
      [
        "windows: [{ cron: '0 2 * * TUE', duration: 2h, timezone: CET+1 }]",
        'environments.production.windows.0.timezone: "CET+1" is not a known IANA time zone (e.g. Europe/Oslo, UTC)',
      ],
      [
        "windows: [{ cron: '0 2 * * TUE', duration: 2h, every: week }]",
        expect.stringMatching(/^environments\.production\.windows\.0: .*every/),
      ],
      [
        'freezes: [{ from: 2026-12-26, to: 2026-12-24, reason: Christmas }]',
        'environments.production.freezes.0.to: expected a moment after `from`',
      ],
      [
        "freezes: [{ from: '2026-12-24T00:00', to: 2026-12-26, reason: Christmas }]",
        'environments.production.freezes.0.from: "2026-12-24T00:00" has no time zone; add Z (UTC) or an offset such as +01:00. Expected YYYY-MM-DD or ISO 8601 with Z or an offset.',
      ],
      [
        'freezes: [{ from: 2026-02-30, to: 2026-03-02, reason: Audit }]',
        'environments.production.freezes.0.from: "2026-02-30" is not a real date',
      ],
      [
        'freezes: [{ from: 2026-12-24, to: 2026-12-26, reason: Christmas, timezone: Oslo }]',
        'environments.production.freezes.0.timezone: "Oslo" is not a known IANA time zone (e.g. Europe/Oslo, UTC)',
      ],
      [
        'freezes: [{ from: 2026-12-24, to: 2026-12-26 }]',
        expect.stringMatching(/^environments\.production\.freezes\.0\.reason: /),
      ],
    ])('%s', (yaml, problem) => {
      expect(problemsOf(inProduction(yaml))).toEqual([problem]);
    });

    it.each([
      ['reminders: { offsetsHours: [48, 0] }', 'reminders.offsetsHours.1: expected a number > 0'],
      ['reminders: { offsetsHours: [337] }', 'reminders.offsetsHours.0: expected at most 336 (two weeks)'],
      ['reminders: { offsetsHours: [24, 1, 24] }', 'reminders.offsetsHours: expected each offset once'],
      ['reminders: { hours: [24] }', expect.stringMatching(/^reminders: .*hours/)],
      ['freezes: [{ from: 2026-12-24, reason: Christmas }]', expect.stringMatching(/^freezes\.0\.to: /)],
    ])('%s', (yaml, problem) => {
      expect(problemsOf(`${valid}${yaml}\n`)).toEqual([problem]);
    });
  });
});
