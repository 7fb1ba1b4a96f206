import { addedColumn, addedConstraint, columnConstraints } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-check-validating',
  category: 'blocking-lock',
  severity: 'error',
  summary:
    'ADD CONSTRAINT CHECK without NOT VALID, or an inline CHECK on ADD COLUMN, on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const con = addedConstraint(cmd);
    if (con?.contype === 'CONSTR_CHECK' && !con.skip_validation) {
      hits.push({
        table: alter.table,
        message: `Adding CHECK constraint ${con.conname ?? ''} scans every row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
        help: 'Add the check with NOT VALID, then run VALIDATE CONSTRAINT in a later migration.',
      });
    }
    const col = addedColumn(cmd);
    if (col && columnConstraints(col).some((c) => c.contype === 'CONSTR_CHECK')) {
      hits.push({
        table: alter.table,
        message: `Adding column ${col.colname ?? '?'} with an inline CHECK evaluates the check for every existing row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
        help: 'Add the column without the check, then add a table CHECK with NOT VALID and validate it in a later migration.',
      });
    }
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "Order" ADD CONSTRAINT "Order_total_check" CHECK ("total" >= 0) NOT VALID;',
    'CREATE TABLE "Order" ("total" INTEGER);\nALTER TABLE "Order" ADD CONSTRAINT "Order_total_check" CHECK ("total" >= 0);',
  ],
  bad: [
    'ALTER TABLE "Order" ADD CONSTRAINT "Order_total_check" CHECK ("total" >= 0);',
    'ALTER TABLE "Order" ADD COLUMN "qty" INTEGER CHECK ("qty" > 0);',
  ],
};
