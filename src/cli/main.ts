#!/usr/bin/env node
/**
 * The `drawbridge` command line: the same core operations as the Slack bot, from a terminal on the
 * bot's host, for when Slack is down or a script needs them. One table of commands, one file each
 * (cli/commands/). Actions are audited as `cli:<OS user>` (core/runs/authorize.ts `isCliActor`).
 *
 * Lazy loading: this file imports only Node built-ins and light helpers. Each command's module is
 * imported (`import()`) when that command runs, and the configuration, store and core (runtime.ts)
 * only when a command needs them, so `--help` and usage errors start as fast as Node does, and
 * `review <path>` loads the SQL parser but neither the store nor the core. A new command is one row of
 * COMMANDS whose `run` imports its own file; never import a command or runtime.ts statically here
 * (test/cli/cli-lazy-load.test.ts checks what `--help` loads).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { describeError } from '../base/errors.js';
import type { CoreDeps } from '../core/engine-index.js';
import {
  option,
  requireEnv,
  UsageError,
  type CliContext,
  type CliServices,
  type CliValues,
} from './context.js';
import { toJson, type CliIo, type CliOutcome } from './output.js';

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
  drawbridge cancel --run <id>                cancel a run that has not started
  drawbridge rollback --run <id>              mark a failed run's migration rolled back (it left nothing)
  drawbridge maintenance off --env <name>     run the environment's maintenance.off command
  drawbridge drift --env <name>               schema drift: live schema vs its applied migrations replayed
                                              on the shadow database (exit 1 on drift)
Options:
  --config <file>   YAML configuration (default $DRAWBRIDGE_CONFIG or ./drawbridge.yml)
  --json            machine-readable output on stdout (progress goes to stderr)
Exit codes: 0 up to date / success, 1 something to do or a failure (or a refusal of the operation),
2 bad usage or configuration (an unknown environment, a wrong confirmation phrase).
Actions are audited as cli:<OS user>.`;

/**
 * One command: whether it can run without a configuration file, and what it does (`run` imports the
 * command's module on use).
 */
interface CliCommand {
  readonly withoutConfig?: boolean;
  /**
   * These arguments need no configuration at all: it is not even read (nothing of the store or the
   * core is loaded). Unless `--config` is given, which is then read and must be valid.
   */
  readonly skipsConfig?: (positionals: readonly string[]) => boolean;
  /** Options it cannot run without (name → what to give): checked before anything is loaded. */
  readonly needs?: Readonly<Record<string, string>>;
  run(ctx: CliContext): Promise<CliOutcome>;
}

const ENV = { env: '<name>' } as const;

/** Environment names are lowercase words (config/file-schema.ts); anything else is a path. */
const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const COMMANDS: Record<string, CliCommand> = {
  status: {
    needs: ENV,
    run: async (c) => (await import('./commands/status.js')).statusCommand(c.deps(), requireEnv(c)),
  },
  plan: { needs: ENV, run: async (c) => (await import('./commands/plan.js')).planCommand(c) },
  review: {
    withoutConfig: true,
    skipsConfig: (positionals) => positionals.length !== 1 || !ENVIRONMENT_NAME.test(positionals[0] ?? ''),
    run: async (c) => {
      const target = c.positionals[0];
      if (!target || c.positionals.length > 1)
        throw new UsageError('review takes one environment name or path');
      // The SQL parser is a 0.9 MB WebAssembly module, and a one-off review spends most of its time
      // compiling it: by default V8 compiles all of it with its baseline compiler, then the hot
      // functions again optimised, and keeps both. This process compiles only the functions the
      // parser calls, once, with the baseline compiler: over 820 files about half the time and 40 MiB
      // less peak memory (bench/cli.ts). The bot keeps V8's defaults (optimised code for a long life).
      setFlagsFromString('--liftoff-only');
      const { reviewCommand } = await import('./commands/review.js');
      return reviewCommand(c.configured ? c.deps() : undefined, target);
    },
  },
  deploy: {
    needs: ENV,
    run: async (c) => {
      const { deployCommand } = await import('./commands/deploy.js');
      const outcome = await deployCommand(c.deps(), requireEnv(c), c.values.yes === true, c.io);
      return c.values.yes === true ? audited(c, 'cli.deploy', outcome) : outcome;
    },
  },
  resolve: {
    needs: ENV,
    run: async (c) =>
      audited(
        c,
        'cli.resolve',
        await (
          await import('./commands/resolve.js')
        ).resolveCommand(c.deps(), requireEnv(c), option(c, 'applied'), option(c, 'rolled-back')),
      ),
  },
  history: { needs: ENV, run: async (c) => (await import('./commands/history.js')).historyCommand(c) },
  backups: { needs: ENV, run: async (c) => (await import('./commands/backups.js')).backupsCommand(c) },
  restore: { needs: ENV, run: async (c) => (await import('./commands/restore.js')).restoreCommand(c) },
  window: { run: async (c) => (await import('./commands/window.js')).windowCommand(c) },
  watch: {
    needs: { run: '<run id>' },
    run: async (c) => (await import('./commands/watch.js')).watchCommand(c),
  },
  cancel: {
    needs: { run: '<run id>' },
    run: async (c) => (await import('./commands/run-actions.js')).cancelRunCommand(c),
  },
  rollback: {
    needs: { run: '<run id>' },
    run: async (c) => (await import('./commands/run-actions.js')).rollbackCommand(c),
  },
  maintenance: {
    needs: ENV,
    run: async (c) => (await import('./commands/run-actions.js')).maintenanceCommand(c),
  },
  drift: {
    needs: ENV,
    run: async (c) => (await import('./commands/drift.js')).driftCommand(c.deps(), requireEnv(c)),
  },
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
    const values: CliValues = parsed.values;
    for (const [key, what] of Object.entries(command.needs ?? {}))
      if (typeof values[key] !== 'string' || values[key] === '')
        throw new UsageError(`--${key} ${what} is required`);
    const runtime =
      command.skipsConfig?.(rest) && !parsed.values.config ? undefined : await import('./runtime.js');
    try {
      deps = runtime?.openCore(parsed.values.config);
    } catch (err) {
      if (!command.withoutConfig || parsed.values.config) throw err;
    }
    let services: Promise<CliServices> | undefined;
    const need = (): CoreDeps => {
      if (!deps)
        throw new UsageError('this command needs the configuration file (--config or DRAWBRIDGE_CONFIG)');
      return deps;
    };
    let actor: string | undefined;
    const ctx: CliContext = {
      values: parsed.values,
      positionals: rest,
      io,
      // An action that is audited needs the store, hence the configuration (and runtime.ts).
      get actor() {
        need();
        return (actor ??= (runtime as NonNullable<typeof runtime>).osActor());
      },
      configured: deps !== undefined,
      deps: need,
      services: () => (services ??= (runtime as NonNullable<typeof runtime>).cliServices(need(), io)),
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
    if (deps) await (await import('./runtime.js')).closeCore(deps);
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

/** Runs the command line on this process's arguments and standard streams; sets its exit code. */
export async function cliMain(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    errIsTTY: process.stderr.isTTY === true,
  });
}

// Run from the sources (`tsx src/cli/main.ts`); the built bin (scripts/cli-launcher.ts) calls cliMain.
if (isEntryPoint()) void cliMain();
