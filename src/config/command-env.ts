/**
 * `environments.<env>.commandEnv`: the variables of the bot's environment that an environment's
 * commands receive (e.g. `RAILWAY_TOKEN` for `railway run`, `AWS_ACCESS_KEY_ID` for `aws s3 cp`).
 * They are read once at start-up, so that a missing one stops the bot before any run depends on it,
 * and every value is registered with the redactor the moment it is read: they are credentials.
 */
import { registerSecret } from '../base/redact.js';
import type { FileConfig } from './file-schema.js';

/** The values of each environment's `commandEnv`, and one problem line per variable that is not set. */
export interface ResolvedCommandEnv {
  readonly byEnvironment: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly problems: readonly string[];
}

/**
 * Reads each environment's `commandEnv` names from `vars`. An unset or empty variable is a problem
 * (a credential that is empty is a mistake, and the command would fail later, mid-run, for it).
 */
export function resolveCommandEnv(
  file: FileConfig,
  vars: Readonly<Record<string, string | undefined>>,
): ResolvedCommandEnv {
  const byEnvironment: Record<string, Readonly<Record<string, string>>> = {};
  const problems: string[] = [];
  for (const [environment, env] of Object.entries(file.environments)) {
    const values: Record<string, string> = {};
    env.commandEnv.forEach((name, index) => {
      const value = vars[name];
      if (!value) {
        problems.push(
          `environments.${environment}.commandEnv.${index}: ${name} is not set in the bot's environment`,
        );
        return;
      }
      registerSecret(value);
      values[name] = value;
    });
    byEnvironment[environment] = Object.freeze(values);
  }
  return { byEnvironment: Object.freeze(byEnvironment), problems };
}
