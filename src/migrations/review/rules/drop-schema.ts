import { droppedObjects } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'drop-schema',
  category: 'destructive',
  severity: 'error',
  summary: 'DROP SCHEMA',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['DropStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('DropStmt' in node) || node.DropStmt.removeType !== 'OBJECT_SCHEMA') return [];
  return droppedObjects(node.DropStmt.objects)
    .filter((s) => !ctx.isNew(`schema:${s.key.replace(/^public\./, '')}`, stmt.index))
    .map((s) => ({
      message: `DROP SCHEMA ${s.label} removes the schema and, with CASCADE, every table and row in it; it takes ACCESS EXCLUSIVE locks (blocking all reads and writes) on each object it drops.`,
      help: 'Drop the objects inside the schema deliberately, one reviewed migration at a time, before dropping the schema.',
    }));
}

export const examples: RuleExamples = {
  good: ['CREATE SCHEMA scratch; DROP SCHEMA scratch;', 'CREATE SCHEMA IF NOT EXISTS reporting;'],
  bad: ['DROP SCHEMA legacy;', 'DROP SCHEMA IF EXISTS legacy CASCADE;'],
};
