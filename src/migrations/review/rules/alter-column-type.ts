import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'alter-column-type',
  category: 'table-rewrite',
  severity: 'error',
  summary: 'ALTER COLUMN ... TYPE on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  return alter.cmds
    .filter((c) => c.subtype === 'AT_AlterColumnType')
    .map((c) => ({
      table: alter.table,
      message: `Changing the type of ${c.name ?? '?'} usually rewrites every row of ${alter.table} and rebuilds its indexes while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)} (only binary-compatible changes such as varchar(n) to text skip the rewrite).`,
      help: 'Expand and contract instead: add a new column, write to both, backfill in batches, switch reads, then drop the old column.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;',
    'ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;',
  ],
  bad: [
    'ALTER TABLE "Event" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3);',
    'ALTER TABLE orders ALTER COLUMN id TYPE bigint;',
  ],
};
