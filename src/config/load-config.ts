/**
 * Parses the process environment and the YAML file once, at start-up, into a frozen AppConfig.
 * A bad configuration becomes a ConfigError whose lines name each key and its problem, e.g.
 * `environments.production.approvals.required: expected a number >= 1`.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { DrawbridgeError } from '../base/errors.js';
import { registerSecret } from '../base/redact.js';
import { fileConfigSchema, type EnvironmentConfig, type FileConfig } from './file-schema.js';
import { resolveCommandEnv } from './command-env.js';
import { processEnvSchema, type ProcessEnv } from './env-schema.js';
import { createSecretSource, type SecretSource } from './secrets.js';

/** The whole validated configuration, frozen. */
export interface AppConfig {
  readonly env: Readonly<ProcessEnv>;
  readonly file: Readonly<FileConfig>;
  /** Absolute path of the YAML file that was read. */
  readonly configPath: string;
  /** Absolute data directory (SQLite file, default backups). */
  readonly dataDir: string;
  /** Lazily resolved secrets (database URLs, API keys). */
  readonly secrets: SecretSource;
  /**
   * The process environment as read at start-up. Only the composition root uses it, to hand the
   * executors the few variables child processes should inherit (PATH, HOME, locale…), never secrets.
   */
  readonly hostEnvironment: Readonly<Record<string, string | undefined>>;
  /**
   * The `commandEnv` variables of an environment with their values, read at start-up and registered
   * with the redactor: what that environment's executor adds to every command it runs.
   */
  commandEnv(environment: string): Readonly<Record<string, string>>;
  /** Environment names in file order. */
  readonly environmentNames: readonly string[];
  environment(name: string): Readonly<EnvironmentConfig> | undefined;
}

export class ConfigError extends DrawbridgeError {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration (${source}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
      {
        hint: 'Fix the keys named above; see README.md "Configuration reference".',
      },
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Renders zod issues as `dotted.path: message` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path || '(top level)'}: ${issue.message}`;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Parses YAML text into the file config, resolving relative paths against `baseDir`. */
export function parseFileConfig(text: string, baseDir: string, source = 'config'): FileConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  const parsed = fileConfigSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(source, formatIssues(parsed.error.issues));
  const file = parsed.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  for (const env of Object.values(file.environments)) {
    env.migrations = abs(env.migrations);
    env.prisma.cwd = abs(env.prisma.cwd);
    if (env.backup.dir) env.backup.dir = abs(env.backup.dir);
    if (env.database.urlFile) env.database.urlFile = abs(env.database.urlFile);
    if (env.shadowDatabase?.urlFile) env.shadowDatabase.urlFile = abs(env.shadowDatabase.urlFile);
    if (env.executor.type === 'ssh') {
      env.executor.identityFile = abs(env.executor.identityFile);
      env.executor.knownHostsFile = abs(env.executor.knownHostsFile);
    }
  }
  return file;
}

/** Loads and validates everything. `vars` defaults to the real process environment. */
export function loadConfig(
  options: { vars?: NodeJS.ProcessEnv; requireSlack?: boolean; configPath?: string } = {},
): AppConfig {
  const vars = options.vars ?? process.env;
  const envParsed = processEnvSchema.safeParse(vars);
  if (!envParsed.success)
    throw new ConfigError('environment variables', formatIssues(envParsed.error.issues));
  const env = envParsed.data;
  for (const key of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const)
    registerSecret(env[key]);
  if (options.requireSlack) {
    const missing: string[] = [];
    if (!env.SLACK_BOT_TOKEN) missing.push('SLACK_BOT_TOKEN: required to run the bot');
    if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      missing.push('SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
    }
    if (missing.length > 0) throw new ConfigError('environment variables', missing);
  }
  const configPath = resolve(options.configPath ?? env.DRAWBRIDGE_CONFIG);
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    throw new ConfigError(configPath, [
      `DRAWBRIDGE_CONFIG: cannot read ${configPath} (${(err as Error).message})`,
    ]);
  }
  const file = parseFileConfig(text, dirname(configPath), configPath);
  const commandEnv = resolveCommandEnv(file, vars);
  if (commandEnv.problems.length > 0) throw new ConfigError(configPath, [...commandEnv.problems]);
  const dataDir = resolve(env.DRAWBRIDGE_DATA_DIR);
  const config: AppConfig = {
    env,
    file,
    configPath,
    dataDir,
    secrets: createSecretSource(file, { ...vars }),
    hostEnvironment: Object.freeze({ ...vars }),
    commandEnv: (name) => commandEnv.byEnvironment[name] ?? {},
    environmentNames: Object.keys(file.environments),
    environment: (name) => (Object.hasOwn(file.environments, name) ? file.environments[name] : undefined),
  };
  deepFreeze(env);
  deepFreeze(file);
  return Object.freeze(config);
}
