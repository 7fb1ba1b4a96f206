import { addedColumn, addedConstraint, columnConstraints, relationLabel } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-foreign-key-validating',
  category: 'blocking-lock',
  severity: 'error',
  summary:
    'ADD FOREIGN KEY without NOT VALID on a pre-existing table; ADD COLUMN ... REFERENCES with a DEFAULT',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

const HELP = 'Add the foreign key with NOT VALID, then run VALIDATE CONSTRAINT in a later migration.';

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const con = addedConstraint(cmd);
    if (con?.contype === 'CONSTR_FOREIGN' && !con.skip_validation) {
      const ref = relationLabel(con.pktable);
      hits.push({
        table: alter.table,
        message: `Adding foreign key ${con.conname ?? ''} checks every existing row of ${alter.table} while holding ${lockOn('SHARE ROW EXCLUSIVE', alter.table)} and on ${ref}.`,
        help: HELP,
      });
    }
    const col = addedColumn(cmd);
    if (!col) continue;
    const cons = columnConstraints(col);
    if (
      cons.some((c) => c.contype === 'CONSTR_FOREIGN') &&
      cons.some((c) => c.contype === 'CONSTR_DEFAULT')
    ) {
      hits.push({
        table: alter.table,
        message: `Adding column ${col.colname ?? '?'} with both a DEFAULT and REFERENCES checks the default against the referenced table for every existing row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
        help: 'Add the column without the foreign key, then add the foreign key with NOT VALID and validate it in a later migration.',
      });
    }
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID;',
    'CREATE TABLE "Post" ("id" TEXT NOT NULL, "authorId" TEXT NOT NULL);\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    'ALTER TABLE "Post" ADD COLUMN "editorId" TEXT REFERENCES "User"("id");',
  ],
  bad: [
    'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    'ALTER TABLE "Post" ADD COLUMN "teamId" INTEGER DEFAULT 1 REFERENCES "Team"("id");',
  ],
};
