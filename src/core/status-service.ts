/**
 * `/migrate status <env>` and `drawbridge status --env`: one function both front ends call.
 */
import { describeError, DrawbridgeError, type Refusal } from '../base/errors.js';
import { getStatus } from '../migrations/get-status.js';
import { detectPrisma8Layout, prisma8Refusal } from '../migrations/prisma8-layout.js';
import type { StatusReport } from '../migrations/status.js';
import type { CoreDeps } from './deps.js';
import { closeTarget, openTarget, resolveTarget, type EnvironmentTarget } from './environment-target.js';

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

export { unknownEnvironment } from './environment-target.js';

/** Reads the migration status of a target's database. */
export async function readTargetStatus(
  deps: CoreDeps,
  target: EnvironmentTarget,
): Promise<EnvironmentStatus> {
  const migrationsDir = target.config.migrations;
  const report = await getStatus({ databaseUrl: target.url, migrationsDir, clock: deps.clock });
  return { kind: 'status', environment: target.name, target: target.display, migrationsDir, report };
}

/**
 * The status of a named environment, through a target of its own; a fault reaching or reading the
 * database (the tunnel included) is a StatusFailure naming the database, not a throw.
 */
export async function environmentStatus(
  deps: CoreDeps,
  environment: string,
): Promise<EnvironmentStatus | StatusFailure | Refusal> {
  let targetDisplay = 'unknown database';
  try {
    const resolved = resolveTarget(deps, environment);
    if ('kind' in resolved) return resolved;
    const prisma8 = prisma8Refusal(await detectPrisma8Layout(resolved.config.migrations));
    if (prisma8) return prisma8;
    targetDisplay = resolved.display;
    const target = await openTarget(resolved);
    try {
      return await readTargetStatus(deps, target);
    } finally {
      await closeTarget(deps, target);
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
