import { addedColumn, columnConstraints } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-column-generated-stored',
  category: 'table-rewrite',
  severity: 'error',
  summary: 'ADD COLUMN ... GENERATED ALWAYS AS (...) STORED',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const col = addedColumn(cmd);
    if (!col || !columnConstraints(col).some((c) => c.contype === 'CONSTR_GENERATED')) continue;
    hits.push({
      table: alter.table,
      message: `Adding stored generated column ${col.colname ?? '?'} computes it for every row, rewriting all of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
      help: 'Add a plain column, keep it filled with a trigger, and backfill existing rows in batches.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'CREATE TABLE p ("price" INT, "qty" INT, "total" INT GENERATED ALWAYS AS ("price" * "qty") STORED);',
    'ALTER TABLE p ADD COLUMN "total" INT;',
  ],
  bad: [
    'ALTER TABLE p ADD COLUMN "total" INT GENERATED ALWAYS AS ("price" * "qty") STORED;',
    'ALTER TABLE "User" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector(\'simple\', "name")) STORED;',
  ],
};
