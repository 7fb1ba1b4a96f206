/** Where commands run: the Executor port, its two implementations, and the factory config uses. */
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Executor } from './executor.js';
import { LocalExecutor } from './local-executor.js';
import { SshExecutor, type SshExecutorConfig } from './ssh-executor.js';

export type { CommandResult, CommandSpec, Executor, OutputLine, Tunnel } from './executor.js';
export {
  DEFAULT_PATH,
  LocalExecutor,
  MINIMAL_ENV_KEYS,
  minimalEnvironment,
  type LocalExecutorOptions,
} from './local-executor.js';
export { SshExecutor, type SshExecutorConfig, type SshExecutorOptions } from './ssh-executor.js';
export { freeLocalPort } from './ssh-tunnel.js';
export { shellJoin, shellQuote } from './shell-quote.js';

/** The `executor` block of an environment: this host, or the bastion over SSH. */
export type ExecutorConfig = { type: 'local' } | (SshExecutorConfig & { type: 'ssh' });

export interface CreateExecutorOptions {
  logger?: Logger;
  /** Environment inherited by local children and by the `ssh` client (see `minimalEnvironment`). */
  baseEnv?: Readonly<Record<string, string>>;
  /**
   * Variables every command receives on the host that runs it (the environment's `commandEnv`):
   * locally in the child's environment, over SSH by standard input to the remote side (never the
   * `ssh` client's environment or a command line). `spec.env` overrides them.
   */
  commandEnv?: Readonly<Record<string, string>>;
  killGraceMs?: number;
  clock?: Clock;
}

/** Builds the Executor for an environment's `executor` config. */
export function createExecutor(config: ExecutorConfig, options: CreateExecutorOptions = {}): Executor {
  return config.type === 'ssh' ? new SshExecutor(config, options) : new LocalExecutor(options);
}
