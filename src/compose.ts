/**
 * The composition root's building block: the only place (with main.ts) that creates real adapters.
 * Both the bot (main.ts) and the CLI build their CoreDeps here.
 */
import { systemClock, type Clock } from './base/clock.js';
import type { Logger } from './base/logger.js';
import type { AppConfig } from './config/load-config.js';
import type { CoreDeps } from './core/deps.js';
import type { Executor } from './exec/executor.js';
import { createExecutor } from './exec/index.js';
import { Store } from './store/store.js';

export function buildCoreDeps(config: AppConfig, logger: Logger, clock: Clock = systemClock): CoreDeps {
  const store = Store.open(config.dataDir, clock);
  const executors = new Map<string, Executor>();
  return {
    config,
    store,
    clock,
    logger,
    executors: (environment) => {
      let ex = executors.get(environment);
      if (!ex) {
        const env = config.environment(environment);
        ex = createExecutor(env?.executor ?? { type: 'local' }, { logger });
        executors.set(environment, ex);
      }
      return ex;
    },
  };
}

/** Closes what buildCoreDeps opened. */
export async function closeCoreDeps(deps: CoreDeps): Promise<void> {
  deps.store.close();
}
