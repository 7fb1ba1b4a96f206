/** `drawbridge review <env | path-to-migrations-or-file> [--json]` */
import { existsSync } from 'node:fs';
import { hasBlockingErrors, formatReviewText } from '../../migrations/review/format-review.js';
import { reviewPath } from '../../migrations/review/review-migrations.js';
import type { CoreDeps, EnvironmentReview } from '../../core/index.js';
import type { Refusal } from '../../base/errors.js';
import type { CliOutcome } from '../output.js';

/** An argument naming a configured environment reviews its pending migrations; otherwise it is a path. */
export async function reviewCommand(deps: CoreDeps | undefined, target: string): Promise<CliOutcome> {
  const isEnv = deps?.config.environment(target) !== undefined;
  if (!isEnv && !existsSync(target)) {
    const envs = deps ? ` Environments: ${deps.config.environmentNames.join(', ')}.` : '';
    return {
      exitCode: 2,
      text: `${target} is neither a configured environment nor an existing path.${envs}`,
      json: { error: 'not_found' },
    };
  }
  const review = isEnv && deps ? await reviewOf(deps, target) : await reviewOfPath(target);
  if (review.kind === 'refusal') return { exitCode: 2, text: review.message, json: review };
  const header = review.environment
    ? `Review of ${review.migrations.length} pending migration(s) of ${review.environment}:\n`
    : '';
  return {
    exitCode: hasBlockingErrors(review.report) ? 1 : 0,
    text: `${header}${formatReviewText(review.report)}`,
    json: review.report,
  };
}

/** An environment's pending migrations, through the core (its target, its live database). */
async function reviewOf(deps: CoreDeps, environment: string): Promise<EnvironmentReview | Refusal> {
  const { reviewEnvironment } = await import('../../core/index.js');
  return reviewEnvironment(deps, environment);
}

/** A path needs only the review itself: the core (and the store, pg, Bolt…) is not loaded. */
async function reviewOfPath(path: string): Promise<EnvironmentReview> {
  const report = await reviewPath(path);
  return { kind: 'review', migrations: report.results.map((r) => r.migration), report };
}
