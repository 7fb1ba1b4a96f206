/** `drawbridge review <env | path-to-migrations-or-file> [--json]` */
import { existsSync } from 'node:fs';
import { hasBlockingErrors, formatReviewText } from '../../migrations/review/format-review.js';
import { reviewEnvironment, reviewFiles } from '../../core/index.js';
import type { CoreDeps } from '../../core/index.js';
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
  const review = isEnv && deps ? await reviewEnvironment(deps, target) : await reviewFiles(target);
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
