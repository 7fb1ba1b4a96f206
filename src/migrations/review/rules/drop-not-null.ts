import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'drop-not-null',
  category: 'backward-incompatible',
  severity: 'info',
  summary: 'ALTER COLUMN ... DROP NOT NULL',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  return alter.cmds
    .filter((c) => c.subtype === 'AT_DropNotNull')
    .map((c) => ({
      table: alter.table,
      message: `Dropping NOT NULL on ${c.name ?? '?'} lets ${alter.table} hold NULLs that running clients may not expect; the lock (ACCESS EXCLUSIVE) is brief.`,
      help: 'Confirm every reader of the column handles NULL before deploying.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "User" ALTER COLUMN "bio" SET DEFAULT \'\';',
    'CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
  ],
  bad: [
    'ALTER TABLE "User" ALTER COLUMN "bio" DROP NOT NULL;',
    'ALTER TABLE app.users ALTER name DROP NOT NULL;',
  ],
};
