#!/usr/bin/env node
/**
 * The `drawbridge` command line: the same core operations as the Slack bot, from a terminal on the
 * bot's host, for when Slack is down or a script needs them. One table of commands, one file each
 * (cli/commands/). Actions are audited as `cli:<OS user>` (core/runs/authorize.ts `isCliActor`).
 */
import { userInfo } from 'node:os';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../base/logger.js';
import { describeError } from '../base/errors.js';
import { loadConfig } from '../config/load-config.js';
import { buildCoreDeps, closeCoreDeps, composeCliServices } from '../compose.js';
import { cliActor, type CoreDeps } from '../core/index.js';
import { backupsCommand } from './commands/backups.js';
import { deployCommand } from './commands/deploy.js';
import { driftCommand } from './commands/drift.js';
import { historyCommand } from './commands/history.js';
import { planCommand } from './commands/plan.js';
import { resolveCommand } from './commands/resolve.js';
import { restoreCommand } from './commands/restore.js';
import { reviewCommand } from './commands/review.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { windowCommand } from './commands/window.js';
import { option, requireEnv, UsageError, type CliContext, type CliServices } from './context.js';
import { terminalObserver, toJson, type CliIo, type CliOutcome } from './output.js';

export const CLI_USAGE = `Usage:
  drawbridge status --env <name>              applied, pending, failed, edited migrations
  drawbridge plan --env <name>                what a deploy would do: plan, review summary, preflight
  drawbridge review <env | migrations-dir | file.sql>
                                              SQL risk review (exit 1 on an unsuppressed error)
  drawbridge deploy --env <name> [--yes]      apply pending migrations (without --yes: show them)
  drawbridge resolve --env <name> --applied <migration> | --rolled-back <migration>
                                              mark a failed migration, as prisma migrate resolve
  drawbridge history --env <name>             recent runs: requester, approvers, outcome, backup
  drawbridge backups --env <name>             backups: size, sha256, age, the file and its off-host copy
  drawbridge restore --env <name> (--run <id> | --backup <file> | --latest) --confirm "RESTORE <name>"
                                              restore a listed backup (the Slack modal's phrase)
  drawbridge window schedule --env <name> --start <t> --duration <d> [--title <text>]
  drawbridge window list [--env <name>]
  drawbridge window cancel --id <window>      maintenance windows (start: ISO or "YYYY-MM-DD HH:MM" here)
  drawbridge watch --run <id>                 the post-deploy watch so far
  drawbridge drift --env <name>               schema drift: live schema vs its applied migrations replayed
                                              on the shadow database (exit 1 on drift)
Options:
  --config <file>   YAML configuration (default $DRAWBRIDGE_CONFIG or ./drawbridge.yml)
  --json            machine-readable output on stdout (progress goes to stderr)
Exit codes: 0 up to date / success, 1 something to do or a failure (or a refusal of the operation),
2 bad usage or configuration (an unknown environment, a wrong confirmation phrase).
Actions are audited as cli:<OS user>.`;

/** One command: whether it can run without a configuration file, and what it does. */
interface CliCommand {
  readonly withoutConfig?: boolean;
  run(ctx: CliContext): Promise<CliOutcome>;
}

const COMMANDS: Record<string, CliCommand> = {
  status: { run: (c) => statusCommand(c.deps(), requireEnv(c)) },
  plan: { run: planCommand },
  review: {
    withoutConfig: true,
    run: (c) => {
      const target = c.positionals[0];
      if (!target || c.positionals.length > 1)
        throw new UsageError('review takes one environment name or path');
      return reviewCommand(c.configured ? c.deps() : undefined, target);
    },
  },
  deploy: {
    run: async (c) => {
      const outcome = await deployCommand(c.deps(), requireEnv(c), c.values.yes === true, c.io);
      return c.values.yes === true ? audited(c, 'cli.deploy', outcome) : outcome;
    },
  },
  resolve: {
    run: async (c) =>
      audited(
        c,
        'cli.resolve',
        await resolveCommand(c.deps(), requireEnv(c), option(c, 'applied'), option(c, 'rolled-back')),
      ),
  },
  history: { run: historyCommand },
  backups: { run: backupsCommand },
  restore: { run: restoreCommand },
  window: { run: windowCommand },
  watch: { run: watchCommand },
  drift: { run: (c) => driftCommand(c.deps(), requireEnv(c)) },
};

/**
 * The engine's direct deploy and resolve keep no run record; the audit log still says who did what
 * (the run and window services audit their own changes).
 */
function audited(c: CliContext, action: string, outcome: CliOutcome): CliOutcome {
  c.deps().store.audit({
    actor: c.actor,
    action,
    environment: requireEnv(c),
    detail: { exitCode: outcome.exitCode, outcome: outcome.text.slice(0, 2000) },
  });
  return outcome;
}

const OPTIONS = {
  env: { type: 'string' },
  json: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  applied: { type: 'string' },
  'rolled-back': { type: 'string' },
  run: { type: 'string' },
  backup: { type: 'string' },
  latest: { type: 'boolean', default: false },
  confirm: { type: 'string' },
  start: { type: 'string' },
  duration: { type: 'string' },
  title: { type: 'string' },
  id: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `cli:<OS user>`; `cli:unknown` when the host cannot say. */
function osActor(): string {
  try {
    return cliActor(userInfo().username);
  } catch {
    return cliActor('unknown');
  }
}

/** Runs the CLI with the given arguments; returns the exit code (does not exit). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${CLI_USAGE}`);
    return 2;
  }
  const [name, ...rest] = parsed.positionals;
  const command = name ? COMMANDS[name] : undefined;
  if (parsed.values.help || !command) {
    (parsed.values.help ? io.out : io.err)(
      name && !command ? `Unknown command: ${name}\n\n${CLI_USAGE}` : CLI_USAGE,
    );
    return parsed.values.help ? 0 : 2;
  }
  let deps: CoreDeps | undefined;
  try {
    try {
      const config = loadConfig(parsed.values.config ? { configPath: parsed.values.config } : {});
      deps = buildCoreDeps(config, createLogger({ level: 'warn', destination: process.stderr }));
    } catch (err) {
      if (!command.withoutConfig || parsed.values.config) throw err;
    }
    let services: CliServices | undefined;
    const need = (): CoreDeps => {
      if (!deps)
        throw new UsageError('this command needs the configuration file (--config or DRAWBRIDGE_CONFIG)');
      return deps;
    };
    const ctx: CliContext = {
      values: parsed.values,
      positionals: rest,
      io,
      actor: osActor(),
      configured: deps !== undefined,
      deps: need,
      services: () => (services ??= composeCliServices(need(), terminalObserver(io))),
    };
    const outcome = await command.run(ctx);
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
    errIsTTY: process.stderr.isTTY === true,
  });
  process.exitCode = code;
}
