/** What every CLI command gets: the parsed arguments, the core, the services and who is acting. */
import type { CoreDeps } from '../core/engine-index.js';
import type { RunService, WindowService } from '../core/index.js';
import type { CliIo } from './output.js';

/** The options `drawbridge` understands (node:util parseArgs values). */
export type CliValues = Readonly<Record<string, string | boolean | undefined>>;

/** The run and window services, built on first use (the bot's, without Slack). */
export interface CliServices {
  readonly runs: RunService;
  readonly windows: WindowService;
}

export interface CliContext {
  readonly values: CliValues;
  /** Positional words after the command name. */
  readonly positionals: readonly string[];
  readonly io: CliIo;
  /** `cli:<OS user>`: the actor the audit log records for what this command does. */
  readonly actor: string;
  /** The core dependencies; throws a usage error when no configuration could be read. */
  deps(): CoreDeps;
  /** The configuration was read (some commands work without). */
  readonly configured: boolean;
  /** Loaded and built on first use (the pipeline, windows and integrations: most of the core). */
  services(): Promise<CliServices>;
}

/** Bad usage: exit 2 with the usage text. */
export class UsageError extends Error {}

/** A string option, or undefined. */
export function option(ctx: CliContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** `--env <name>`, required. */
export function requireEnv(ctx: CliContext): string {
  const env = option(ctx, 'env');
  if (!env) throw new UsageError('--env <name> is required');
  return env;
}

/** A required string option. */
export function requireOption(ctx: CliContext, name: string, what: string): string {
  const v = option(ctx, name);
  if (!v) throw new UsageError(`--${name} ${what} is required`);
  return v;
}
