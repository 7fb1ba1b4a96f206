/**
 * What core needs from the outside world, built once by the composition root (src/compose.ts).
 */
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { AppConfig } from '../config/load-config.js';
import type { Executor } from '../exec/executor.js';
import type { Store } from '../store/store.js';

/** Returns the executor (local or SSH to the bastion) configured for an environment. */
export type ExecutorFactory = (environment: string) => Executor;

export interface CoreDeps {
  readonly config: AppConfig;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly executors: ExecutorFactory;
}
