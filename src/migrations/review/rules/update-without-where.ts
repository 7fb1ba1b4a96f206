import { relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'update-without-where',
  category: 'data-loss-risk',
  severity: 'warning',
  summary: 'UPDATE with no WHERE clause (a full-table backfill inside the migration transaction)',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['UpdateStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('UpdateStmt' in node) || node.UpdateStmt.whereClause) return [];
  const rel = node.UpdateStmt.relation;
  if (ctx.isNewTable(rel, stmt.index)) return [];
  const table = relationLabel(rel);
  return [
    {
      table,
      message: `UPDATE without WHERE rewrites every row of ${table} and holds a row lock on each until the migration commits (blocks writes to the whole table), together with any locks the migration's DDL took.`,
      help: 'Backfill in bounded batches outside the DDL transaction, for example from a script after the migration.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'UPDATE "User" SET "role" = \'USER\' WHERE "role" IS NULL;',
    'CREATE TABLE t (a int); UPDATE t SET a = 1;',
  ],
  bad: ['UPDATE "User" SET "role" = \'USER\';', 'UPDATE app.orders SET total = 0;'],
};
