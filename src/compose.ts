/**
 * The composition root's building block: the only place (with main.ts) that creates real adapters.
 * Both the bot (main.ts) and the CLI build their CoreDeps here.
 */
import { systemClock, type Clock } from './base/clock.js';
import type { Logger } from './base/logger.js';
import type { AppConfig } from './config/load-config.js';
import type { CoreDeps } from './core/deps.js';
import type { Executor } from './exec/executor.js';
import { createExecutor, minimalEnvironment } from './exec/index.js';
import { Store } from './store/store.js';

const openExecutors = new WeakMap<CoreDeps, Map<string, Executor>>();

export function buildCoreDeps(config: AppConfig, logger: Logger, clock: Clock = systemClock): CoreDeps {
  const store = Store.open(config.dataDir, clock);
  const executors = new Map<string, Executor>();
  const baseEnv = minimalEnvironment(config.hostEnvironment);
  const deps: CoreDeps = {
    config,
    store,
    clock,
    logger,
    executors: (environment) => {
      let ex = executors.get(environment);
      if (!ex) {
        const env = config.environment(environment);
        ex = createExecutor(env?.executor ?? { type: 'local' }, { logger, baseEnv, clock });
        executors.set(environment, ex);
      }
      return ex;
    },
  };
  openExecutors.set(deps, executors);
  return deps;
}

/** Closes what buildCoreDeps opened. */
export async function closeCoreDeps(deps: CoreDeps): Promise<void> {
  for (const ex of openExecutors.get(deps)?.values() ?? []) {
    await ex.close().catch((err: unknown) => deps.logger.warn({ err }, 'closing an executor failed'));
  }
  deps.store.close();
}
