/**
 * The SQL review of what a deploy would apply to an environment's target (with the impact estimate
 * from its live database, read-only), or of a path (a migrations folder or one .sql file, no database).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Refusal } from '../base/errors.js';
import { getStatus } from '../migrations/get-status.js';
import type { ReviewReport } from '../migrations/review/types.js';
import type { CoreDeps } from './deps.js';
import { withEnvironmentTarget, type EnvironmentTarget } from './environment-target.js';

export interface EnvironmentReview {
  kind: 'review';
  environment?: string;
  /** Pending migrations reviewed (environment) or files reviewed (path). */
  migrations: string[];
  report: ReviewReport;
}

/** The SQL parser and the review rules, loaded on first use (a CLI deploy or status needs neither). */
function loadReview(): Promise<typeof import('../migrations/review/review-migrations.js')> {
  return import('../migrations/review/review-migrations.js');
}

/** Reviews the migrations a deploy would apply to a target, with the impact estimate from its database. */
export async function reviewTarget(deps: CoreDeps, target: EnvironmentTarget): Promise<EnvironmentReview> {
  const dir = target.config.migrations;
  const status = await getStatus({ databaseUrl: target.url, migrationsDir: dir, clock: deps.clock });
  const entries = [];
  for (const name of status.toApply) {
    entries.push({ name, sql: await readFile(join(dir, name, 'migration.sql'), 'utf8') });
  }
  const { reviewMigrations } = await loadReview();
  const report = await reviewMigrations(entries, { databaseUrl: target.url });
  return { kind: 'review', environment: target.name, migrations: status.toApply, report };
}

/** Reviews the migrations a named environment would apply, through a target of its own. */
export async function reviewEnvironment(
  deps: CoreDeps,
  environment: string,
): Promise<EnvironmentReview | Refusal> {
  if (!deps.config.environmentNames.includes(environment)) {
    return {
      kind: 'refusal',
      code: 'UNKNOWN_ENVIRONMENT',
      message: `There is no environment named \`${environment}\`.`,
      hint: `Valid environments: ${deps.config.environmentNames.join(', ')}.`,
    };
  }
  return withEnvironmentTarget(deps, environment, (target) => reviewTarget(deps, target));
}

/** Reviews a folder or file without a database (the estimate says it is unavailable). */
export async function reviewFiles(path: string): Promise<EnvironmentReview> {
  const { reviewPath } = await loadReview();
  const report = await reviewPath(path);
  return { kind: 'review', migrations: report.results.map((r) => r.migration), report };
}
