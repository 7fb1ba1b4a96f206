/**
 * The start-up check of every configured shadow database: one that is the target itself stops the bot
 * with a configuration error (by its URL as written, or, when both are reachable, by the server's
 * system identifier and the database). A shadow that cannot be reached now only warns: it is checked
 * again before each use.
 */
import { describeError } from '../../base/errors.js';
import { ConfigError } from '../../config/load-config.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openTarget, resolveTarget } from '../environment-target.js';
import { readIdentityOf, sameDatabase, serverName } from './database-identity.js';
import { shadowEnvironment, shadowUrlIsTarget } from './shadow-database.js';

/** Checks one environment's shadow; returns the problem line when it is the target, else undefined. */
async function checkOne(deps: CoreDeps, name: string): Promise<string | undefined> {
  const key = `environments.${name}.shadowDatabase`;
  const env = resolveTarget(deps, name);
  if ('kind' in env) return undefined;
  const shadowUrl = deps.config.secrets.shadowDatabaseUrl(name);
  if (shadowUrl === undefined) return undefined;
  const written = shadowUrlIsTarget(shadowUrl, [env.executorUrl, deps.config.secrets.databaseUrl(name)]);
  if (written) return `${key}: points at the target database itself (${written})`;
  const target = await openTarget(env);
  try {
    const targetId = await readIdentityOf(target.url, 'drawbridge start-up check');
    const shadow = await openTarget(shadowEnvironment(env, shadowUrl));
    try {
      const shadowId = await readIdentityOf(shadow.url, 'drawbridge start-up check');
      if (sameDatabase(shadowId, targetId))
        return `${key}: leads to the target database itself (database "${shadowId.database}" on server ${serverName(shadowId)})`;
    } finally {
      await closeTarget(deps, shadow);
    }
  } finally {
    await closeTarget(deps, target);
  }
  return undefined;
}

/**
 * Checks each environment's shadow database at start-up. Throws a ConfigError (and logs it) naming
 * every environment whose shadow is its target; logs a warning for a shadow (or target) that cannot be
 * reached or whose URL cannot be read now.
 */
export async function checkShadowConfigs(deps: CoreDeps): Promise<void> {
  const problems: string[] = [];
  for (const name of deps.config.environmentNames) {
    if (!deps.config.environment(name)?.shadowDatabase) continue;
    try {
      const problem = await checkOne(deps, name);
      if (problem) problems.push(problem);
    } catch (err) {
      deps.logger.warn(
        { environment: name, err: describeError(err) },
        'the shadow database could not be checked at start-up; it is checked again before each use',
      );
    }
  }
  if (problems.length === 0) return;
  const error = new ConfigError(deps.config.configPath, problems);
  deps.logger.error({ problems }, 'a shadow database is its target database itself');
  throw error;
}
