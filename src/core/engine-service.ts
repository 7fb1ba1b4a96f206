/**
 * Deploy and resolve for one environment, with that environment's settings (runner, lock timeouts,
 * retries, executor), for the CLI and the pipeline alike.
 */
import type { JournalSink } from '../migrations/apply-journal.js';
import { deploy, type DeployEvent, type DeployResult } from '../migrations/deploy.js';
import { runPrismaDeploy, type PrismaRunResult } from '../migrations/prisma-runner.js';
import { resolveApplied, resolveRolledBack, type ResolveResult } from '../migrations/resolve.js';
import type { OutputLine } from '../exec/executor.js';
import type { Refusal } from '../base/errors.js';
import { openDatabaseTarget } from './database-target.js';
import type { CoreDeps } from './deps.js';
import { unknownEnvironment } from './status-service.js';

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

/** Applies the pending migrations of an environment with its configured runner. */
export async function applyEnvironment(
  deps: CoreDeps,
  environment: string,
  opts: ApplyOptions = {},
): Promise<EngineRun | Refusal> {
  const unknown = unknownEnvironment(deps, environment);
  if (unknown) return unknown;
  const env = deps.config.environment(environment);
  if (!env) throw new Error('unreachable: environment checked above');
  const target = await openDatabaseTarget(deps, environment);
  try {
    if (env.runner === 'prisma') {
      const result = await runPrismaDeploy({
        executor: deps.executors(environment),
        command: env.prisma.command,
        cwd: env.prisma.cwd,
        databaseUrl: target.url,
        migrationsDir: env.migrations,
        clock: deps.clock,
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
  } finally {
    await target
      .close()
      .catch((err: unknown) => deps.logger.warn({ err }, 'closing the database tunnel failed'));
  }
}

/** `resolve --applied` / `--rolled-back` on an environment. */
export async function resolveEnvironment(
  deps: CoreDeps,
  environment: string,
  how: 'applied' | 'rolled-back',
  name: string,
): Promise<ResolveResult | Refusal> {
  const unknown = unknownEnvironment(deps, environment);
  if (unknown) return unknown;
  const env = deps.config.environment(environment);
  const target = await openDatabaseTarget(deps, environment);
  try {
    const opts = {
      databaseUrl: target.url,
      migrationsDir: env?.migrations ?? '',
      name,
      clock: deps.clock,
      lockWaitMs: env?.advisoryLockWaitMs ?? 10_000,
    };
    return how === 'applied' ? await resolveApplied(opts) : await resolveRolledBack(opts);
  } finally {
    await target
      .close()
      .catch((err: unknown) => deps.logger.warn({ err }, 'closing the database tunnel failed'));
  }
}
