import { addedColumn, typeNameOf } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { anyAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'json-column',
  category: 'other',
  severity: 'info',
  summary: 'ADD COLUMN of type json',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const alter = anyAlter(stmt);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const col = addedColumn(cmd);
    if (!col || typeNameOf(col.typeName) !== 'json') continue;
    hits.push({
      table: alter.table,
      message: `Column ${col.colname ?? '?'} of ${alter.table} is json, which has no equality operator: DISTINCT, GROUP BY and some queries on the table will fail on it.`,
      help: 'Use jsonb instead of json.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: ['ALTER TABLE "User" ADD COLUMN "settings" JSONB;', 'ALTER TABLE "User" ADD COLUMN "tags" TEXT[];'],
  bad: [
    'ALTER TABLE "User" ADD COLUMN "settings" JSON;',
    "ALTER TABLE app.events ADD COLUMN payload json NOT NULL DEFAULT '{}';",
  ],
};
