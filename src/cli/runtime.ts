/**
 * What a CLI command needs beyond its arguments: the configuration, the store, the core and its
 * services. main.ts imports this module only once a command is about to run (dynamic `import()`), so
 * that `--help` and usage errors load none of zod, yaml, pino, better-sqlite3, pg or the core.
 */
import { userInfo } from 'node:os';
import { createLogger } from '../base/logger.js';
import { loadConfig } from '../config/load-config.js';
import { buildCoreDeps, closeCoreDeps, composeCliServices } from '../compose-core.js';
import { cliActor, type CoreDeps } from '../core/index.js';
import type { CliServices } from './context.js';
import { terminalObserver, type CliIo } from './output.js';

/** Reads the configuration (`--config` or the default) and opens the core on it. */
export function openCore(configPath: string | undefined): CoreDeps {
  const config = loadConfig(configPath ? { configPath } : {});
  return buildCoreDeps(config, createLogger({ level: 'warn', destination: process.stderr }));
}

/** Closes what openCore opened. */
export async function closeCore(deps: CoreDeps): Promise<void> {
  await closeCoreDeps(deps);
}

/** The run and window services, their events shown on the terminal. */
export function cliServices(deps: CoreDeps, io: CliIo): CliServices {
  return composeCliServices(deps, terminalObserver(io));
}

/** `cli:<OS user>`; `cli:unknown` when the host cannot say. */
export function osActor(): string {
  try {
    return cliActor(userInfo().username);
  } catch {
    return cliActor('unknown');
  }
}
