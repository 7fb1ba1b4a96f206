import { addedColumn, columnConstraints, typeNameOf } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';
import { SERIAL_TYPES } from './add-column-auto-increment.js';

export const meta: RuleMeta = {
  id: 'add-column-required-no-default',
  category: 'backward-incompatible',
  severity: 'error',
  summary: 'ADD COLUMN NOT NULL without DEFAULT on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

const FILLED = new Set(['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED']);

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const col = addedColumn(cmd);
    if (!col || SERIAL_TYPES.has(typeNameOf(col.typeName))) continue;
    const cons = columnConstraints(col);
    if (!cons.some((c) => c.contype === 'CONSTR_NOTNULL') || cons.some((c) => FILLED.has(c.contype ?? '')))
      continue;
    hits.push({
      table: alter.table,
      message: `Adding NOT NULL column ${col.colname ?? '?'} without a DEFAULT fails if ${alter.table} has any rows, and makes inserts from running clients that do not set it fail.`,
      help: 'Add the column as nullable or with a constant DEFAULT, backfill, and make it required later.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "User" ADD COLUMN "plan" TEXT NOT NULL DEFAULT \'free\';',
    'ALTER TABLE "User" ADD COLUMN "bio" TEXT;',
    'CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN name TEXT NOT NULL;',
  ],
  bad: [
    'ALTER TABLE "User" ADD COLUMN "plan" TEXT NOT NULL;',
    'ALTER TABLE app.orders ADD COLUMN region_id INTEGER NOT NULL;',
  ],
};
