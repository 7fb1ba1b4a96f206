import { addedConstraint } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-exclusion-constraint',
  category: 'blocking-lock',
  severity: 'error',
  summary: 'ADD ... EXCLUDE on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  return alter.cmds
    .filter((c) => addedConstraint(c)?.contype === 'CONSTR_EXCLUSION')
    .map(() => ({
      table: alter.table,
      message: `Adding an EXCLUDE constraint builds its index and checks every row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}; PostgreSQL 15 has no NOT VALID or USING INDEX form for it.`,
      help: 'Schedule a maintenance window for it, or build a new table with the constraint and copy the data over.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'CREATE TABLE booking (room int, during tsrange);\nALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
    'ALTER TABLE booking ADD CONSTRAINT booking_room_check CHECK (room > 0) NOT VALID;',
  ],
  bad: [
    'ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
    'ALTER TABLE app.slots ADD EXCLUDE (slot WITH =);',
  ],
};
