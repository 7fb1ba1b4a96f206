import { relationLabel } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'detach-partition-non-concurrent',
  category: 'blocking-lock',
  severity: 'warning',
  summary: 'DETACH PARTITION without CONCURRENTLY or FINALIZE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    if (cmd.subtype !== 'AT_DetachPartition' || !cmd.def || !('PartitionCmd' in cmd.def)) continue;
    if (cmd.def.PartitionCmd.concurrent) continue;
    hits.push({
      table: alter.table,
      message: `DETACH PARTITION ${relationLabel(cmd.def.PartitionCmd.name)} without CONCURRENTLY takes ${lockOn('ACCESS EXCLUSIVE', alter.table)} and on the partition.`,
      help: 'Detach with DETACH PARTITION ... CONCURRENTLY, alone in its own migration (the table must have no default partition).',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;',
    'ALTER TABLE events DETACH PARTITION events_2023 FINALIZE;',
  ],
  bad: [
    'ALTER TABLE events DETACH PARTITION events_2023;',
    'ALTER TABLE app.metrics DETACH PARTITION app.metrics_old;',
  ],
};
