/**
 * Secrets referenced by the YAML file, resolved only when needed and registered with the redactor
 * the moment they are read, so that they cannot leak into logs, Slack or the store afterwards.
 */
import { readFileSync } from 'node:fs';
import { DrawbridgeError } from '../base/errors.js';
import { registerSecret, registerUrlSecrets } from '../base/redact.js';
import type { FileConfig } from './file-schema.js';

export interface SecretSource {
  /** The database URL of an environment (from its urlEnv or urlFile). */
  databaseUrl(environment: string): string;
  /**
   * The direct (non-pooled) database URL of an environment (its directUrlEnv or directUrlFile), or
   * undefined when none is configured.
   */
  directDatabaseUrl(environment: string): string | undefined;
  /**
   * The shadow database URL of an environment (`shadowDatabase.urlEnv` or `urlFile`), or undefined
   * when it has no shadow database.
   */
  shadowDatabaseUrl(environment: string): string | undefined;
  /** The Statuspage API key of an environment, if configured. */
  statuspageKey(environment: string): string | undefined;
  /** The HMAC secret of webhook number `index`, if configured. */
  webhookSecret(index: number): string | undefined;
  /** The bearer token `/metrics` requires on the main port (`metrics.tokenEnv`), if configured. */
  metricsToken(): string | undefined;
}

function fromEnv(vars: Record<string, string | undefined>, name: string, what: string): string {
  const value = vars[name];
  if (!value) {
    throw new DrawbridgeError('SECRET_MISSING', `${what}: environment variable ${name} is not set`, {
      hint: `Set ${name} in the bot's environment (see .env.example).`,
    });
  }
  return value;
}

function fromFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new DrawbridgeError(
      'SECRET_MISSING',
      `${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

export function createSecretSource(file: FileConfig, vars: Record<string, string | undefined>): SecretSource {
  const databaseOf = (environment: string) => {
    const db = file.environments[environment]?.database;
    if (!db) throw new DrawbridgeError('UNKNOWN_ENVIRONMENT', `No environment named "${environment}"`);
    return db;
  };
  return {
    databaseUrl(environment) {
      const db = databaseOf(environment);
      const what = `environments.${environment}.database`;
      const url = db.urlEnv
        ? fromEnv(vars, db.urlEnv, `${what}.urlEnv`)
        : fromFile(db.urlFile as string, `${what}.urlFile`);
      registerUrlSecrets(url);
      return url;
    },
    directDatabaseUrl(environment) {
      const db = databaseOf(environment);
      const what = `environments.${environment}.database`;
      let url: string | undefined;
      if (db.directUrlEnv) url = fromEnv(vars, db.directUrlEnv, `${what}.directUrlEnv`);
      else if (db.directUrlFile) url = fromFile(db.directUrlFile, `${what}.directUrlFile`);
      if (url !== undefined) registerUrlSecrets(url);
      return url;
    },
    shadowDatabaseUrl(environment) {
      const shadow = file.environments[environment]?.shadowDatabase;
      if (!shadow) return undefined;
      const what = `environments.${environment}.shadowDatabase`;
      const url = shadow.urlEnv
        ? fromEnv(vars, shadow.urlEnv, `${what}.urlEnv`)
        : fromFile(shadow.urlFile as string, `${what}.urlFile`);
      registerUrlSecrets(url);
      return url;
    },
    statuspageKey(environment) {
      const sp = file.environments[environment]?.statuspage;
      if (!sp) return undefined;
      const key = fromEnv(vars, sp.apiKeyEnv, `environments.${environment}.statuspage.apiKeyEnv`);
      registerSecret(key);
      return key;
    },
    webhookSecret(index) {
      const hook = file.webhooks[index];
      if (!hook?.secretEnv) return undefined;
      const secret = fromEnv(vars, hook.secretEnv, `webhooks.${index}.secretEnv`);
      registerSecret(secret);
      return secret;
    },
    metricsToken() {
      const name = file.metrics.tokenEnv;
      if (!name) return undefined;
      const token = fromEnv(vars, name, 'metrics.tokenEnv');
      registerSecret(token);
      return token;
    },
  };
}
