import { relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'reindex-non-concurrent',
  category: 'blocking-lock',
  severity: 'error',
  summary: 'REINDEX (not SYSTEM) without CONCURRENTLY',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['ReindexStmt'];

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('ReindexStmt' in node)) return [];
  const r = node.ReindexStmt;
  if (r.kind === 'REINDEX_OBJECT_SYSTEM') return [];
  const concurrent = (r.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
  if (concurrent) return [];
  const target = r.relation ? relationLabel(r.relation) : (r.name ?? 'the database');
  return [
    {
      table: r.relation ? target : undefined,
      message: `REINDEX without CONCURRENTLY takes a SHARE lock on the table behind ${target} (blocks writes) and an ACCESS EXCLUSIVE lock on each index it rebuilds (blocks reads that use it), for as long as the rebuild takes.`,
      help: 'Rebuild with REINDEX ... CONCURRENTLY, alone in its own migration file.',
    },
  ];
}

export const examples: RuleExamples = {
  good: ['REINDEX INDEX CONCURRENTLY "Post_authorId_idx";', 'REINDEX SYSTEM app;'],
  bad: ['REINDEX INDEX "Post_authorId_idx";', 'REINDEX TABLE "Post";'],
};
