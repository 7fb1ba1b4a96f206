import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { anyAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'drop-cascade',
  category: 'destructive',
  severity: 'warning',
  summary: 'DROP TABLE/SCHEMA/TYPE/COLUMN/CONSTRAINT ... CASCADE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['DropStmt', 'AlterTableStmt'];

const KINDS: Record<string, string> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_TYPE: 'TYPE',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
};

const HELP = 'Drop the dependent objects explicitly, each by name, and remove CASCADE.';

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if ('DropStmt' in node && node.DropStmt.behavior === 'DROP_CASCADE') {
    const kind = KINDS[node.DropStmt.removeType ?? ''] ?? 'object';
    return [
      {
        message: `DROP ${kind} ... CASCADE silently drops every view, constraint, default or column that depends on it, each under an ACCESS EXCLUSIVE lock (blocks all reads and writes).`,
        help: HELP,
      },
    ];
  }
  const alter = anyAlter(stmt);
  if (!alter) return [];
  return alter.cmds
    .filter(
      (c) =>
        (c.subtype === 'AT_DropColumn' || c.subtype === 'AT_DropConstraint') && c.behavior === 'DROP_CASCADE',
    )
    .map((c) => ({
      table: alter.table,
      message: `Dropping ${c.name ?? '?'} on ${alter.table} with CASCADE also drops the views and constraints that depend on it, without naming them.`,
      help: HELP,
    }));
}

export const examples: RuleExamples = {
  good: ['DROP TYPE "OldEnum";', 'ALTER TABLE t DROP CONSTRAINT t_check;'],
  bad: ['DROP TYPE "Role" CASCADE;', 'ALTER TABLE "Post" DROP COLUMN "legacy" CASCADE;'],
};
