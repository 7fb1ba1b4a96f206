/**
 * `/migrate status <env>` and `drawbridge status --env`: one function both front ends call.
 */
import { describeError, DrawbridgeError, refusal, type Refusal } from '../base/errors.js';
import { getStatus } from '../migrations/get-status.js';
import type { StatusReport } from '../migrations/status.js';
import { openDatabaseTarget } from './database-target.js';
import type { CoreDeps } from './deps.js';

export interface EnvironmentStatus {
  kind: 'status';
  environment: string;
  /** host:port/database, no password. */
  target: string;
  migrationsDir: string;
  report: StatusReport;
}

/** A fault reaching or reading the database, already redacted, naming the host. */
export interface StatusFailure {
  kind: 'failure';
  environment: string;
  target: string;
  code: string;
  message: string;
  hint?: string;
}

/** Refuses an unknown environment with the list of valid ones. */
export function unknownEnvironment(deps: Pick<CoreDeps, 'config'>, name: string): Refusal | undefined {
  if (deps.config.environment(name)) return undefined;
  const valid = deps.config.environmentNames.map((n) => `\`${n}\``).join(', ');
  return refusal(
    'UNKNOWN_ENVIRONMENT',
    `There is no environment named \`${name}\`.`,
    `Valid environments: ${valid}.`,
  );
}

export async function environmentStatus(
  deps: CoreDeps,
  environment: string,
): Promise<EnvironmentStatus | StatusFailure | Refusal> {
  const unknown = unknownEnvironment(deps, environment);
  if (unknown) return unknown;
  const env = deps.config.environment(environment);
  const migrationsDir = env?.migrations ?? '';
  let targetDisplay = 'unknown database';
  try {
    const target = await openDatabaseTarget(deps, environment);
    targetDisplay = target.display;
    try {
      const report = await getStatus({ databaseUrl: target.url, migrationsDir, clock: deps.clock });
      return { kind: 'status', environment, target: target.display, migrationsDir, report };
    } finally {
      await target
        .close()
        .catch((err: unknown) => deps.logger.warn({ err }, 'closing the database tunnel failed'));
    }
  } catch (err) {
    deps.logger.warn({ environment, err: describeError(err) }, 'status failed');
    const code = err instanceof DrawbridgeError ? err.code : 'STATUS_FAILED';
    const hint = err instanceof DrawbridgeError ? err.hint : undefined;
    const failure: StatusFailure = {
      kind: 'failure',
      environment,
      target: targetDisplay,
      code,
      message: describeError(err),
    };
    if (hint) failure.hint = hint;
    return failure;
  }
}
