import { relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'rename-table',
  category: 'backward-incompatible',
  severity: 'warning',
  summary: 'ALTER TABLE ... RENAME TO',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['RenameStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('RenameStmt' in node) || node.RenameStmt.renameType !== 'OBJECT_TABLE') return [];
  const rel = node.RenameStmt.relation;
  if (ctx.isNewTable(rel, stmt.index)) return [];
  const table = relationLabel(rel);
  return [
    {
      table,
      message: `Renaming ${table} to ${node.RenameStmt.newname ?? '?'} breaks every running client that still uses the old name; it takes an ACCESS EXCLUSIVE lock on ${table} (blocks all reads and writes) briefly.`,
      help: 'Keep the table name and map it in Prisma with @@map, or rename in phases behind a view.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'CREATE TABLE "Tmp" (id int);\nALTER TABLE "Tmp" RENAME TO "Final";',
    'ALTER TABLE "User" RENAME CONSTRAINT "a" TO "b";',
  ],
  bad: ['ALTER TABLE "User" RENAME TO "Account";', 'ALTER TABLE IF EXISTS app.orders RENAME TO purchases;'],
};
