/**
 * Deploy and resolve on one environment target, with its settings (runner, lock timeouts, retries,
 * executor): the pipeline passes the target its run holds; the CLI names an environment and gets a
 * target for that one command.
 */
import type { JournalSink } from '../migrations/apply-journal.js';
import { deploy, type DeployEvent, type DeployResult } from '../migrations/deploy.js';
import { runPrismaDeploy, type PrismaRunResult } from '../migrations/prisma-runner.js';
import { resolveApplied, resolveRolledBack, type ResolveResult } from '../migrations/resolve.js';
import type { OutputLine } from '../exec/executor.js';
import type { Refusal } from '../base/errors.js';
import type { CoreDeps } from './deps.js';
import { withEnvironmentTarget, type EnvironmentTarget } from './environment-target.js';

export type EngineRun =
  | { kind: 'run'; runner: 'native'; environment: string; target: string; result: DeployResult }
  | { kind: 'run'; runner: 'prisma'; environment: string; target: string; result: PrismaRunResult };

export interface ApplyOptions {
  signal?: AbortSignal;
  onProgress?: (event: DeployEvent) => void;
  onOutput?: (line: OutputLine) => void;
  /** The approved migrations (names and checksums, in order): nothing else is applied. */
  expected?: readonly { readonly name: string; readonly checksum: string }[];
  /** Where the native engine's apply journal is stored (before each piece of work is sent). */
  journal?: JournalSink;
  /** Stop before the next migration (shutdown); the one under way finishes. */
  stopBetween?: AbortSignal;
}

/**
 * Applies the pending migrations of an environment's target with its configured runner. Works through
 * the target's tunnel; the Prisma CLI runs on the target's executor and is given the database as that
 * host sees it.
 */
export async function applyToTarget(
  deps: CoreDeps,
  target: EnvironmentTarget,
  opts: ApplyOptions = {},
): Promise<EngineRun> {
  const env = target.config;
  const environment = target.name;
  if (env.runner === 'prisma') {
    const result = await runPrismaDeploy({
      target,
      command: env.prisma.command,
      cwd: env.prisma.cwd,
      migrationsDir: env.migrations,
      clock: deps.clock,
      ...(opts.expected ? { expected: opts.expected } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
    return { kind: 'run', runner: 'prisma', environment, target: target.display, result };
  }
  const result = await deploy({
    databaseUrl: target.url,
    migrationsDir: env.migrations,
    clock: deps.clock,
    lockWaitMs: env.advisoryLockWaitMs,
    lockTimeoutMs: env.lockTimeoutMs,
    statementTimeoutMs: env.statementTimeoutMs,
    lockRetries: env.lockRetries,
    applicationName: `drawbridge deploy ${environment}`,
    watchdog: { silenceMs: env.watchdog.silenceMs, cancelTimeoutMs: env.watchdog.cancelTimeoutMs },
    outcomeWaitMs: env.watchdog.outcomeWaitMs,
    ...(opts.expected ? { expected: opts.expected } : {}),
    ...(opts.journal ? { journal: opts.journal } : {}),
    ...(opts.stopBetween ? { stopBetween: opts.stopBetween } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return { kind: 'run', runner: 'native', environment, target: target.display, result };
}

/** `deploy --env`: applies the pending migrations of a named environment through a target of its own. */
export function applyEnvironment(
  deps: CoreDeps,
  environment: string,
  opts: ApplyOptions = {},
): Promise<EngineRun | Refusal> {
  return withEnvironmentTarget(deps, environment, (target) => applyToTarget(deps, target, opts));
}

/** Marks a migration applied or rolled back in a target's ledger (`migrate resolve`). */
export async function resolveOnTarget(
  deps: CoreDeps,
  target: EnvironmentTarget,
  how: 'applied' | 'rolled-back',
  name: string,
): Promise<ResolveResult> {
  const opts = {
    databaseUrl: target.url,
    migrationsDir: target.config.migrations,
    name,
    clock: deps.clock,
    lockWaitMs: target.config.advisoryLockWaitMs,
  };
  return how === 'applied' ? resolveApplied(opts) : resolveRolledBack(opts);
}

/** `resolve --applied` / `--rolled-back` on a named environment. */
export function resolveEnvironment(
  deps: CoreDeps,
  environment: string,
  how: 'applied' | 'rolled-back',
  name: string,
): Promise<ResolveResult | Refusal> {
  return withEnvironmentTarget(deps, environment, (target) => resolveOnTarget(deps, target, how, name));
}
