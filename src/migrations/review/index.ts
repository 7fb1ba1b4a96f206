/** Public surface of the SQL review (used by core, the CLI and Slack renderers). */
export { DEFAULT_RULES } from './all-rules.js';
export { formatReviewJson, formatReviewText, hasBlockingErrors } from './format-review.js';
export { loadParser } from './parse-sql.js';
export type { RuleExamples, RuleMeta, RuleModule } from './rule.js';
export {
  readMigrationsPath,
  reviewMigrations,
  reviewPath,
  type MigrationEntry,
  type ReviewMigrationsOptions,
} from './review-migrations.js';
export {
  PARSE_ERROR_RULE,
  RULE_FAILED_RULE,
  UNUSED_IGNORE_RULE,
  reviewSql,
  type ReviewSqlOptions,
} from './review-sql.js';
export type * from './types.js';
