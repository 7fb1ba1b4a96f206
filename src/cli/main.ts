#!/usr/bin/env node
/**
 * The `drawbridge` command line: the same core operations as the Slack bot, from a terminal.
 *   drawbridge status|deploy|resolve … (see CLI_USAGE)
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../base/logger.js';
import { describeError } from '../base/errors.js';
import { loadConfig } from '../config/load-config.js';
import { buildCoreDeps, closeCoreDeps } from '../compose.js';
import type { CoreDeps } from '../core/index.js';
import { deployCommand } from './commands/deploy.js';
import { resolveCommand } from './commands/resolve.js';
import { reviewCommand } from './commands/review.js';
import { statusCommand } from './commands/status.js';
import { toJson, type CliIo, type CliOutcome } from './output.js';

export const CLI_USAGE = `Usage:
  drawbridge status --env <name> [--json]     applied, pending, failed, edited migrations
  drawbridge deploy --env <name> [--yes] [--json]
                                              apply pending migrations (without --yes: show them)
  drawbridge resolve --env <name> --applied <migration> | --rolled-back <migration>
                                              mark a failed migration, as prisma migrate resolve
  drawbridge review <env | migrations-dir | file.sql> [--json]
                                              SQL risk review (exit 1 on an unsuppressed error)
Options:
  --config <file>   YAML configuration (default $DRAWBRIDGE_CONFIG or ./drawbridge.yml)
  --json            machine-readable output
Exit codes: 0 up to date / success, 1 something to do or a failure, 2 bad usage or configuration.`;

type Handler = (
  deps: CoreDeps | undefined,
  values: Record<string, string | boolean | undefined>,
  positionals: string[],
  io: CliIo,
) => Promise<CliOutcome>;

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function requireEnv(values: Record<string, string | boolean | undefined>): string {
  const env = values.env;
  if (typeof env !== 'string' || env.length === 0) throw new UsageError('--env <name> is required');
  return env;
}

class UsageError extends Error {}

/** Commands that also work without a configuration file (a path review needs no database). */
const WORKS_WITHOUT_CONFIG = new Set(['review']);

function need(deps: CoreDeps | undefined): CoreDeps {
  if (!deps)
    throw new UsageError('this command needs the configuration file (--config or DRAWBRIDGE_CONFIG)');
  return deps;
}

const handlers: Record<string, Handler> = {
  status: (deps, values) => statusCommand(need(deps), requireEnv(values)),
  deploy: (deps, values, _p, io) => deployCommand(need(deps), requireEnv(values), values.yes === true, io),
  review: (deps, _values, positionals) => {
    const target = positionals[0];
    if (!target || positionals.length > 1) throw new UsageError('review takes one environment name or path');
    return reviewCommand(deps, target);
  },
  resolve: (deps, values) =>
    resolveCommand(need(deps), requireEnv(values), str(values.applied), str(values['rolled-back'])),
};

/** Runs the CLI with the given arguments; returns the exit code (does not exit). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        env: { type: 'string' },
        json: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        applied: { type: 'string' },
        'rolled-back': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${CLI_USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  const handler = command ? handlers[command] : undefined;
  if (parsed.values.help || !handler) {
    (parsed.values.help ? io.out : io.err)(
      command && !handler ? `Unknown command: ${command}\n\n${CLI_USAGE}` : CLI_USAGE,
    );
    return parsed.values.help ? 0 : 2;
  }
  let deps: CoreDeps | undefined;
  try {
    try {
      const config = loadConfig(parsed.values.config ? { configPath: parsed.values.config } : {});
      deps = buildCoreDeps(config, createLogger({ level: 'warn', destination: process.stderr }));
    } catch (err) {
      if (!WORKS_WITHOUT_CONFIG.has(command as string) || parsed.values.config) throw err;
    }
    const outcome = await handler(deps, parsed.values, rest, io);
    if (parsed.values.json) io.out(toJson(outcome.json));
    else (outcome.exitCode === 2 ? io.err : io.out)(outcome.text);
    return outcome.exitCode;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n\n${CLI_USAGE}`);
      return 2;
    }
    io.err(describeError(err));
    return (err as { code?: string }).code === 'CONFIG_INVALID' ? 2 : 1;
  } finally {
    if (deps) await closeCoreDeps(deps);
  }
}

function isEntryPoint(): boolean {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
  });
  process.exitCode = code;
}
