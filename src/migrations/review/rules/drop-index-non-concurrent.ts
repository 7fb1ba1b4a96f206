import { droppedObjects } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'drop-index-non-concurrent',
  category: 'blocking-lock',
  severity: 'warning',
  summary: 'DROP INDEX without CONCURRENTLY',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['DropStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('DropStmt' in node) || node.DropStmt.removeType !== 'OBJECT_INDEX' || node.DropStmt.concurrent)
    return [];
  return droppedObjects(node.DropStmt.objects)
    .filter((i) => !ctx.isNew(`index:${i.key}`, stmt.index))
    .map((i) => ({
      message: `DROP INDEX ${i.label} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table (blocks all reads and writes) and waits behind every open transaction that touched it.`,
      help: 'Drop the index with DROP INDEX CONCURRENTLY, alone in its own migration file.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'DROP INDEX CONCURRENTLY "Post_authorId_idx";',
    'CREATE INDEX tmp_idx ON t (a); DROP INDEX tmp_idx;',
  ],
  bad: ['DROP INDEX "Post_authorId_idx";', 'DROP INDEX IF EXISTS app.orders_created_idx;'],
};
