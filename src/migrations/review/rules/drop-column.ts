import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'drop-column',
  category: 'destructive',
  severity: 'error',
  summary: 'ALTER TABLE ... DROP COLUMN (including Prisma renames done as drop + add)',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  return alter.cmds
    .filter((c) => c.subtype === 'AT_DropColumn')
    .map((c) => ({
      table: alter.table,
      message: `Dropping column ${c.name ?? '?'} deletes its data for good and breaks running code that still reads or writes it; it takes ${lockOn('ACCESS EXCLUSIVE', alter.table)} briefly.`,
      help: 'Stop reading and writing the column in a deployed release first, then drop it; for a rename use @map or a planned rename instead.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "User" ADD COLUMN "nickname" TEXT;',
    'CREATE TABLE t (a int, b int); ALTER TABLE t DROP COLUMN b;',
  ],
  bad: [
    'ALTER TABLE "User" DROP COLUMN "name";',
    'ALTER TABLE "User" DROP COLUMN "name", ADD COLUMN "fullName" TEXT;',
  ],
};
