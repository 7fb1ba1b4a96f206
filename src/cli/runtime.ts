/**
 * What a CLI command needs beyond its arguments: the configuration, the store and the core. main.ts
 * imports this module only once a command is about to run (dynamic `import()`), so that `--help` and
 * usage errors load none of zod, yaml, pino, better-sqlite3, pg or the core; and the run and window
 * services (the pipeline, windows, integrations) load only for the commands that use them, so that
 * `status`, `deploy` and `resolve` load the engine and nothing else of the core.
 */
import { userInfo } from 'node:os';
import { createLogger } from '../base/logger.js';
import { loadConfig } from '../config/load-config.js';
import { buildCoreDeps, closeCoreDeps } from '../core-deps.js';
import { cliActor, type CoreDeps } from '../core/engine-index.js';
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

/** The run and window services, their events shown on the terminal (loaded on first use). */
export async function cliServices(deps: CoreDeps, io: CliIo): Promise<CliServices> {
  const { composeCliServices } = await import('../compose-core.js');
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
