import { addedColumn, addedConstraint, columnConstraints } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-primary-key',
  category: 'blocking-lock',
  severity: 'error',
  summary: 'ADD PRIMARY KEY without USING INDEX on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const con = addedConstraint(cmd);
    const col = addedColumn(cmd);
    const inline = col ? columnConstraints(col).some((c) => c.contype === 'CONSTR_PRIMARY') : false;
    if ((con?.contype === 'CONSTR_PRIMARY' && !con.indexname) || inline) {
      hits.push({
        table: alter.table,
        message: `Adding a PRIMARY KEY builds its unique index (and checks NOT NULL) over every row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
        help: 'Build a unique index CONCURRENTLY on NOT NULL columns in its own migration, then add the key with PRIMARY KEY USING INDEX.',
      });
    }
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "Item" ADD CONSTRAINT "Item_pkey" PRIMARY KEY USING INDEX "Item_id_key";',
    'CREATE TABLE "Item" ("id" TEXT NOT NULL);\nALTER TABLE "Item" ADD CONSTRAINT "Item_pkey" PRIMARY KEY ("id");',
  ],
  bad: [
    'ALTER TABLE "Item" ADD CONSTRAINT "Item_pkey" PRIMARY KEY ("id");',
    'ALTER TABLE "Item" ADD COLUMN "uid" BIGINT PRIMARY KEY;',
  ],
};
