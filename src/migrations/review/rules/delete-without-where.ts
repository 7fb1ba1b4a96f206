import { relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'delete-without-where',
  category: 'data-loss-risk',
  severity: 'error',
  summary: 'DELETE with no WHERE clause',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['DeleteStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('DeleteStmt' in node) || node.DeleteStmt.whereClause) return [];
  const rel = node.DeleteStmt.relation;
  if (ctx.isNewTable(rel, stmt.index)) return [];
  const table = relationLabel(rel);
  return [
    {
      table,
      message: `DELETE without WHERE removes every row of ${table} and holds a row lock on each one until the migration commits (blocks writes to those rows).`,
      help: 'Delete only the rows you mean to, with a WHERE clause, in bounded batches.',
    },
  ];
}

export const examples: RuleExamples = {
  good: ['DELETE FROM "Session" WHERE "expiresAt" < now();', 'CREATE TABLE tmp (id int); DELETE FROM tmp;'],
  bad: ['DELETE FROM "Session";', 'DELETE FROM app.events USING x;'],
};
