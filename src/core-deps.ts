/**
 * The core dependencies (configuration, store, clock, logger, executors), the first thing every CLI
 * command with a configuration and the bot build. Nothing of the run pipeline is imported here, so
 * that `status`, `deploy` and `resolve` load only the engine (compose-core.ts adds the services).
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
        ex = createExecutor(env?.executor ?? { type: 'local' }, {
          logger,
          baseEnv,
          commandEnv: config.commandEnv(environment),
          clock,
        });
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
