import { relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'rename-column',
  category: 'backward-incompatible',
  severity: 'warning',
  summary: 'ALTER TABLE ... RENAME COLUMN',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['RenameStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('RenameStmt' in node) || node.RenameStmt.renameType !== 'OBJECT_COLUMN') return [];
  const rel = node.RenameStmt.relation;
  if (ctx.isNewTable(rel, stmt.index)) return [];
  const table = relationLabel(rel);
  const { subname, newname } = node.RenameStmt;
  return [
    {
      table,
      message: `Renaming column ${subname ?? '?'} of ${table} to ${newname ?? '?'} breaks every running client that still uses the old name; it takes an ACCESS EXCLUSIVE lock on ${table} (blocks all reads and writes) briefly.`,
      help: 'Keep the column name and map it in Prisma with @map, or add a new column and write to both during the switch.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;',
    'ALTER INDEX "a_idx" RENAME TO "b_idx";',
  ],
  bad: [
    'ALTER TABLE "User" RENAME COLUMN "name" TO "fullName";',
    'ALTER TABLE app.orders RENAME total TO amount;',
  ],
};
