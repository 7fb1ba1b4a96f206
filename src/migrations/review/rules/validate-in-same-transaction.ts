import { addedConstraint, relationKey } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { anyAlter, existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'validate-in-same-transaction',
  category: 'blocking-lock',
  severity: 'error',
  summary: 'VALIDATE CONSTRAINT in the same transaction as its NOT VALID ADD',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

/** `table|constraint` keys added NOT VALID in these statements. */
function notValidAdds(statements: ParsedStatement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    const alter = anyAlter(s);
    if (!alter) continue;
    for (const cmd of alter.cmds) {
      const con = addedConstraint(cmd);
      if (con?.skip_validation && con.conname) out.add(`${relationKey(alter.relation)}|${con.conname}`);
    }
  }
  return out;
}

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  const validates = alter?.cmds.filter((c) => c.subtype === 'AT_ValidateConstraint') ?? [];
  if (!alter || validates.length === 0) return [];
  const added = notValidAdds(ctx.sameSegmentBefore(stmt.index));
  const key = relationKey(alter.relation);
  return validates
    .filter((c) => added.has(`${key}|${c.name ?? ''}`))
    .map((c) => ({
      table: alter.table,
      message: `VALIDATE CONSTRAINT ${c.name ?? '?'} runs in the same transaction that added it, so the full scan of ${alter.table} happens while the ADD's lock (ACCESS EXCLUSIVE for checks, SHARE ROW EXCLUSIVE for foreign keys) is still held, blocking writes or all access.`,
      help: 'Move VALIDATE CONSTRAINT to a later migration, or after an explicit COMMIT.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "Order" ADD CONSTRAINT "Order_total_check" CHECK ("total" >= 0) NOT VALID;',
    'BEGIN;\nALTER TABLE "Order" ADD CONSTRAINT c CHECK ("total" >= 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE "Order" VALIDATE CONSTRAINT c;\nCOMMIT;',
  ],
  bad: [
    'ALTER TABLE "Order" ADD CONSTRAINT c CHECK ("total" >= 0) NOT VALID;\nALTER TABLE "Order" VALIDATE CONSTRAINT c;',
    'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;\nALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";',
  ],
};
