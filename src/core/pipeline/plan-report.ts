/**
 * `/migrate plan` and the first half of `/migrate deploy`: read the folder, the ledger and the live
 * database (read-only) and say exactly what a deploy would do, how risky it looks, and whether the
 * ground is ready. The pipeline's preflight step runs the same checks again just before it starts.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Refusal } from '../../base/errors.js';
import { getStatus } from '../../migrations/get-status.js';
import { detectPrisma8Layout, prisma8Refusal } from '../../migrations/prisma8-layout.js';
import type { ReviewReport } from '../../migrations/review/types.js';
import type { CoreDeps } from '../deps.js';
import { withEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import { planHash } from '../runs/plan.js';
import { driftForPlan } from '../shadow/drift.js';
import { readDatabaseFacts } from './database-facts.js';
import { checkSoakGate } from './soak-gate.js';
import { activeFreeze, describeFreeze } from '../windows/freezes.js';
import { freezesFor } from '../windows/window-config.js';
import {
  affectedTables,
  groundChecks,
  ledgerCheck,
  lockCheck,
  reviewCheck,
  transactionsCheck,
} from './preflight-checks.js';

export { affectedTables, backupDirOf } from './preflight-checks.js';
import type { PlanReport, PreflightCheck } from './types.js';
import type { Plan } from '../../store/run-types.js';

export interface PreparePlanOptions {
  /** A run that may hold the environment lock without it counting as "busy" (the run being started). */
  readonly ownRunId?: string;
  /**
   * Run the drift check (environments with a shadow database only). Default: yes, except for a run's
   * own re-plan (`ownRunId`), whose approvers saw the drift on the plan they approved.
   */
  readonly drift?: boolean;
}

/**
 * Computes the plan report of a named environment through a target of its own. Unknown environment →
 * refusal; an unreachable database throws (DrawbridgeError with a P1xxx code, redacted).
 */
export async function preparePlan(
  deps: CoreDeps,
  environment: string,
  options: PreparePlanOptions = {},
): Promise<PlanReport | Refusal> {
  const dir = deps.config.environment(environment)?.migrations;
  const prisma8 = dir === undefined ? undefined : prisma8Refusal(await detectPrisma8Layout(dir));
  if (prisma8) return prisma8;
  return withEnvironmentTarget(deps, environment, (target) => prepareTargetPlan(deps, target, options));
}

/**
 * Computes the plan report of a target: its ledger and folder, the review with the impact estimate,
 * and the preflight checks, all through the target (its tunnel, its executor). An unreachable database
 * throws (DrawbridgeError with a P1xxx code, redacted).
 */
export async function prepareTargetPlan(
  deps: CoreDeps,
  target: EnvironmentTarget,
  options: PreparePlanOptions = {},
): Promise<PlanReport> {
  const env = target.config;
  const environment = target.name;
  const status = await getStatus({
    databaseUrl: target.url,
    migrationsDir: env.migrations,
    clock: deps.clock,
  });
  const pending = status.toApply.map((name) => {
    const line = status.migrations.find((m) => m.name === name);
    return { name, checksum: line?.checksum ?? '' };
  });
  let review: ReviewReport | undefined;
  if (pending.length > 0) {
    const entries = [];
    for (const m of pending) {
      const sql = await readFile(join(env.migrations, m.name, 'migration.sql'), 'utf8').catch(() => '');
      entries.push({ name: m.name, sql });
    }
    // The SQL parser and the review rules load on first use (a CLI deploy or status needs neither).
    const { reviewMigrations } = await import('../../migrations/review/review-migrations.js');
    review = await reviewMigrations(entries, { databaseUrl: target.url });
  }
  const facts = await readDatabaseFacts(target.url, affectedTables(review));
  const plan: Plan = {
    environment,
    target: {
      identity: target.display,
      ...(facts.systemIdentifier ? { systemIdentifier: facts.systemIdentifier } : {}),
    },
    migrations: pending,
    createdAt: deps.clock.now(),
  };
  const preflight: PreflightCheck[] = [
    ...(await groundChecks(deps, target, facts)),
    ledgerCheck(status),
    transactionsCheck(facts, review),
    lockCheck(deps, environment, status, options.ownRunId),
  ];
  if (review) preflight.push(reviewCheck(review));
  // The soak gate blocks a plan outright: no run is created for a plan that has not soaked.
  const gate =
    pending.length > 0 ? await checkSoakGate(deps, environment, pending, plan.createdAt) : undefined;
  if (gate) preflight.push(gate);
  // A freeze blocks too, and the pipeline's own preflight sees it when a run starts.
  const frozen = activeFreeze(freezesFor(deps.config, environment), plan.createdAt);
  if (frozen && pending.length > 0)
    preflight.push({
      id: 'freeze',
      status: 'fail',
      message: `Deploys to ${environment} are frozen: ${describeFreeze(frozen)}.`,
      hint: 'Deploy after the freeze ends.',
    });
  const verdict =
    status.blocking.length > 0 ||
    preflight.some((c) => c.status === 'fail' && ['ledger', 'gate', 'freeze'].includes(c.id))
      ? 'blocked'
      : pending.length === 0
        ? 'nothing_pending'
        : 'ready';
  const wantDrift = env.shadowDatabase !== undefined && (options.drift ?? options.ownRunId === undefined);
  const drift = wantDrift ? await driftForPlan(deps, target) : undefined;
  return {
    kind: 'plan',
    environment,
    target: target.display,
    plan,
    planHash: planHash(plan),
    status,
    ...(review ? { review } : {}),
    databaseBytes: facts.databaseBytes,
    preflight,
    verdict,
    ...(drift ? { drift } : {}),
  };
}
