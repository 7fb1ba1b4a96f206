/**
 * A plan is exactly what a run will do: the environment, the target database and the pending
 * migrations with their checksums. Approvals bind to `planHash(plan)`; `comparePlans` says in plain
 * sentences why two plans differ, so a voided approval can explain itself.
 */
import { createHash } from 'node:crypto';
import type { Plan, PlanTarget, PlannedMigration } from '../../store/run-store.js';

export type { Plan, PlanTarget, PlannedMigration };

/** Bump when the canonical form changes, so old and new hashes never collide by accident. */
const PLAN_HASH_VERSION = 1;

/**
 * The canonical JSON the hash is computed over: fixed key order, the environment, the target
 * identity (and system identifier when known), and the migrations as `[name, checksum]` pairs in
 * apply order. `createdAt` is left out: the same work planned twice has the same hash.
 */
export function canonicalPlan(plan: Plan): string {
  return JSON.stringify([
    PLAN_HASH_VERSION,
    plan.environment,
    plan.target.identity,
    plan.target.systemIdentifier ?? null,
    plan.migrations.map((m) => [m.name, m.checksum.toLowerCase()]),
  ]);
}

/** sha256 (hex) of the plan's canonical form. Pure. */
export function planHash(plan: Plan): string {
  return createHash('sha256').update(canonicalPlan(plan), 'utf8').digest('hex');
}

/** A short form of a hash or checksum for people. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** One reason two plans differ. */
export interface PlanDifference {
  readonly kind: 'environment' | 'target' | 'added' | 'removed' | 'edited' | 'reordered';
  /** The migration concerned, for `added`, `removed` and `edited`. */
  readonly migration?: string;
  /** One sentence for people. */
  readonly message: string;
}

/**
 * Why plan `after` differs from plan `before` (the one that was shown), one sentence each; empty
 * when they hash the same. Pure.
 */
export function comparePlans(before: Plan, after: Plan): PlanDifference[] {
  const out: PlanDifference[] = [];
  if (before.environment !== after.environment) {
    out.push({
      kind: 'environment',
      message: `The environment changed from ${before.environment} to ${after.environment}.`,
    });
  }
  const target = compareTargets(before.target, after.target);
  if (target) out.push({ kind: 'target', message: target });
  out.push(...compareMigrations(before.migrations, after.migrations));
  return out;
}

function compareTargets(a: PlanTarget, b: PlanTarget): string | undefined {
  if (a.identity !== b.identity) {
    return `The target database changed from ${a.identity} to ${b.identity}.`;
  }
  const sa = a.systemIdentifier ?? null;
  const sb = b.systemIdentifier ?? null;
  if (sa === sb) return undefined;
  if (sa === null)
    return `The target database ${b.identity} is now known to be system ${sb}, unknown when the plan was shown.`;
  if (sb === null)
    return `The system identifier of ${b.identity} (${sa} when the plan was shown) could not be read now.`;
  return `${b.identity} is now a different database server (system ${sb}, was ${sa}), for example after a failover or restore.`;
}

function compareMigrations(a: readonly PlannedMigration[], b: readonly PlannedMigration[]): PlanDifference[] {
  const out: PlanDifference[] = [];
  const before = new Map(a.map((m) => [m.name, m.checksum.toLowerCase()]));
  const after = new Map(b.map((m) => [m.name, m.checksum.toLowerCase()]));
  for (const [name, sum] of after) {
    const old = before.get(name);
    if (old === undefined) {
      out.push({
        kind: 'added',
        migration: name,
        message: `Migration ${name} is new since the plan was shown.`,
      });
    } else if (old !== sum) {
      out.push({
        kind: 'edited',
        migration: name,
        message: `Migration ${name} was edited since the plan was shown (checksum ${shortHash(old)} is now ${shortHash(sum)}).`,
      });
    }
  }
  for (const name of before.keys()) {
    if (!after.has(name)) {
      out.push({
        kind: 'removed',
        migration: name,
        message: `Migration ${name} is no longer pending: it was applied elsewhere or removed from the folder.`,
      });
    }
  }
  const common = (list: readonly PlannedMigration[]): string[] =>
    list.map((m) => m.name).filter((n) => before.has(n) && after.has(n));
  if (common(a).join('\n') !== common(b).join('\n')) {
    out.push({ kind: 'reordered', message: 'The migrations would now be applied in a different order.' });
  }
  return out;
}
