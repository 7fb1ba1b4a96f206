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
  /** The Statuspage API key of an environment, if configured. */
  statuspageKey(environment: string): string | undefined;
  /** The HMAC secret of webhook number `index`, if configured. */
  webhookSecret(index: number): string | undefined;
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

export function createSecretSource(file: FileConfig, vars: Record<string, string | undefined>): SecretSource {
  return {
    databaseUrl(environment) {
      const db = file.environments[environment]?.database;
      if (!db) throw new DrawbridgeError('UNKNOWN_ENVIRONMENT', `No environment named "${environment}"`);
      let url: string;
      if (db.urlEnv) {
        url = fromEnv(vars, db.urlEnv, `environments.${environment}.database.urlEnv`);
      } else {
        try {
          url = readFileSync(db.urlFile as string, 'utf8').trim();
        } catch (err) {
          throw new DrawbridgeError(
            'SECRET_MISSING',
            `environments.${environment}.database.urlFile: cannot read ${db.urlFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          );
        }
      }
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
  };
}
