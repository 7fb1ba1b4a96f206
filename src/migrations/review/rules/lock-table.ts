import { relationLabel } from '../ast.js';
import { LOCK_MODES, lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'lock-table',
  category: 'blocking-lock',
  severity: 'warning',
  summary: 'explicit LOCK TABLE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['LockStmt'];

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('LockStmt' in node)) return [];
  // LockStmt.mode is PostgreSQL's lock number: 1 = ACCESS SHARE ... 8 = ACCESS EXCLUSIVE.
  const mode = LOCK_MODES[(node.LockStmt.mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
  const hits: RuleHit[] = [];
  for (const r of node.LockStmt.relations ?? []) {
    if (!('RangeVar' in r)) continue;
    const table = relationLabel(r.RangeVar);
    hits.push({
      table,
      message: `LOCK TABLE takes ${lockOn(mode, table)} until the migration commits.`,
      help: 'Avoid explicit table locks in migrations; if one is truly needed, set lock_timeout first so it cannot queue behind long transactions.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: ["SET lock_timeout = '2s';", 'SELECT pg_advisory_xact_lock(42);'],
  bad: ['LOCK TABLE "User";', 'LOCK TABLE orders IN SHARE MODE;'],
};
