import { relationLabel } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'create-index-non-concurrent',
  category: 'blocking-lock',
  severity: 'warning',
  summary: 'CREATE [UNIQUE] INDEX without CONCURRENTLY on a pre-existing table',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['IndexStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('IndexStmt' in node) || node.IndexStmt.concurrent) return [];
  const rel = node.IndexStmt.relation;
  if (ctx.isNewTable(rel, stmt.index)) return [];
  const table = relationLabel(rel);
  return [
    {
      table,
      message: `CREATE INDEX without CONCURRENTLY takes ${lockOn('SHARE', table)} for the whole index build, which reads the entire table.`,
      help: 'Create the index with CREATE INDEX CONCURRENTLY, alone in its own migration file.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'CREATE INDEX CONCURRENTLY "Post_authorId_idx" ON "Post"("authorId");',
    'CREATE TABLE "Tag" ("id" TEXT NOT NULL, "name" TEXT NOT NULL);\nCREATE UNIQUE INDEX "Tag_name_key" ON "Tag"("name");',
  ],
  bad: [
    'CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");',
    'CREATE UNIQUE INDEX "User_email_key" ON "User"("email");',
  ],
};
