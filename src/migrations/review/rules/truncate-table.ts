import { relationKey, relationLabel } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'truncate-table',
  category: 'destructive',
  severity: 'error',
  summary: 'TRUNCATE of a table that existed before this migration',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['TruncateStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('TruncateStmt' in node)) return [];
  const hits: RuleHit[] = [];
  for (const r of node.TruncateStmt.relations ?? []) {
    if (!('RangeVar' in r) || ctx.isNew(`rel:${relationKey(r.RangeVar)}`, stmt.index)) continue;
    const table = relationLabel(r.RangeVar);
    hits.push({
      table,
      message: `TRUNCATE deletes every row of ${table} for good and takes ${lockOn('ACCESS EXCLUSIVE', table)}.`,
      help: 'Delete the rows you mean to remove with targeted, batched DELETEs, or run the truncate as a reviewed one-off outside migrations.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'CREATE TABLE staging (id int); TRUNCATE staging;',
    'DELETE FROM "Session" WHERE "expires" < now();',
  ],
  bad: ['TRUNCATE "Session";', 'TRUNCATE TABLE a, b RESTART IDENTITY;'],
};
