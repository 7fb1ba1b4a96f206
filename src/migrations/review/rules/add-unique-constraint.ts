import { addedColumn, addedConstraint, columnConstraints } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-unique-constraint',
  category: 'blocking-lock',
  severity: 'error',
  summary: 'ADD CONSTRAINT UNIQUE (not USING INDEX) or ADD COLUMN ... UNIQUE on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

const HELP =
  'Build a unique index with CREATE UNIQUE INDEX CONCURRENTLY in its own migration, then add the constraint with UNIQUE USING INDEX.';

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const con = addedConstraint(cmd);
    if (con?.contype === 'CONSTR_UNIQUE' && !con.indexname) {
      hits.push({
        table: alter.table,
        message: `Adding UNIQUE constraint ${con.conname ?? ''} builds its index while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}, for time proportional to the table size.`,
        help: HELP,
      });
    }
    const col = addedColumn(cmd);
    if (col && columnConstraints(col).some((c) => c.contype === 'CONSTR_UNIQUE')) {
      hits.push({
        table: alter.table,
        message: `Adding column ${col.colname ?? '?'} with UNIQUE builds a unique index over all of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
        help: HELP,
      });
    }
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE USING INDEX "User_email_key";',
    'CREATE TABLE "User" ("email" TEXT);\nALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email");',
  ],
  bad: [
    'ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE ("email");',
    'ALTER TABLE "User" ADD COLUMN "handle" TEXT UNIQUE;',
  ],
};
