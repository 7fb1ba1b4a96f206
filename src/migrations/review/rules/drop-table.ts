import { droppedObjects } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'drop-table',
  category: 'destructive',
  severity: 'error',
  summary: 'DROP TABLE of a table that existed before this migration',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['DropStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('DropStmt' in node) || node.DropStmt.removeType !== 'OBJECT_TABLE') return [];
  return droppedObjects(node.DropStmt.objects)
    .filter((t) => !ctx.isNew(`rel:${t.key}`, stmt.index))
    .map((t) => ({
      table: t.label,
      message: `DROP TABLE deletes ${t.label} and all its rows for good; it takes ${lockOn('ACCESS EXCLUSIVE', t.label)} and on the tables it references by foreign key.`,
      help: 'Stop using the table in a release first, back it up or confirm it is empty, and drop it in a later migration.',
    }));
}

export const examples: RuleExamples = {
  good: ['CREATE TABLE "Tmp" (id int); DROP TABLE "Tmp";', 'DROP VIEW report;'],
  bad: ['DROP TABLE "User";', 'DROP TABLE IF EXISTS app.audit_log;'],
};
