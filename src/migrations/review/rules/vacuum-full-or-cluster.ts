import { relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'vacuum-full-or-cluster',
  category: 'table-rewrite',
  severity: 'error',
  summary: 'VACUUM FULL or CLUSTER',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['ClusterStmt', 'VacuumStmt'];

const HELP = 'Use pg_repack outside migrations to compact or reorder the table without long locks.';

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if ('ClusterStmt' in node) {
    const table = node.ClusterStmt.relation
      ? relationLabel(node.ClusterStmt.relation)
      : 'every clustered table';
    return [
      {
        table: node.ClusterStmt.relation ? table : undefined,
        message: `CLUSTER rewrites ${table} in index order while holding an ACCESS EXCLUSIVE lock on it (blocks all reads and writes).`,
        help: HELP,
      },
    ];
  }
  if (!('VacuumStmt' in node)) return [];
  const full = (node.VacuumStmt.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full');
  if (!full) return [];
  return [
    {
      message:
        'VACUUM FULL rewrites each table it touches while holding an ACCESS EXCLUSIVE lock on it (blocks all reads and writes).',
      help: HELP,
    },
  ];
}

export const examples: RuleExamples = {
  good: ['VACUUM ANALYZE "User";', 'ANALYZE "User";'],
  bad: ['VACUUM FULL "User";', 'CLUSTER "Event" USING "Event_at_idx";'],
};
