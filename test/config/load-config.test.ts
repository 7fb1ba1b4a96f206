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

  describe('keys that do nothing yet are refused, never accepted and ignored', () => {
    const inProduction = (yaml: string): string =>
      valid.replace('  production:\n', `  production:\n    ${yaml}\n`);
    it.each([
      ['requireWindow: true', 'environments.production.requireWindow', 'requireWindow'],
      ['requireWindow: false', 'environments.production.requireWindow', 'requireWindow'],
      ['gate: { afterEnv: staging, soakHours: 24 }', 'environments.production.gate', 'gate'],
      ['monitor: { hours: 24, everyMinutes: 5 }', 'environments.production.monitor', 'monitor'],
    ])('%s', (yaml, path, key) => {
      const problems = problemsOf(inProduction(yaml));
      expect(problems).toEqual([
        expect.stringMatching(new RegExp(`^${path}: \`${key}\` is not available yet \\(planned: .+\\)$`)),
      ]);
    });

    it('reminders', () => {
      expect(problemsOf(`${valid}reminders: { offsetsHours: [48, 24, 1] }\n`)).toEqual([
        expect.stringMatching(/^reminders: `reminders` is not available yet \(planned: .+\)$/),
      ]);
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
});
