import { relationLabel } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'refresh-matview-non-concurrent',
  category: 'blocking-lock',
  severity: 'warning',
  summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['RefreshMatViewStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('RefreshMatViewStmt' in node) || node.RefreshMatViewStmt.concurrent) return [];
  const rel = node.RefreshMatViewStmt.relation;
  if (ctx.isNewTable(rel, stmt.index)) return [];
  const view = relationLabel(rel);
  return [
    {
      table: view,
      message: `REFRESH MATERIALIZED VIEW without CONCURRENTLY recomputes ${view} while holding ${lockOn('ACCESS EXCLUSIVE', view)}.`,
      help: 'Refresh with REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index on the view).',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;',
    'CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x;\nREFRESH MATERIALIZED VIEW mv;',
  ],
  bad: ['REFRESH MATERIALIZED VIEW daily_totals;', 'REFRESH MATERIALIZED VIEW app.daily_totals WITH DATA;'],
};
