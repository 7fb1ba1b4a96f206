import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'truncate-cascade',
  category: 'destructive',
  severity: 'error',
  summary: 'TRUNCATE ... CASCADE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['TruncateStmt'];

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('TruncateStmt' in node) || node.TruncateStmt.behavior !== 'DROP_CASCADE') return [];
  return [
    {
      message:
        'TRUNCATE ... CASCADE also empties every table that references these ones by foreign key, including tables nobody named, each under an ACCESS EXCLUSIVE lock (blocks all reads and writes).',
      help: 'List every table to truncate explicitly instead of using CASCADE.',
    },
  ];
}

export const examples: RuleExamples = {
  good: ['TRUNCATE a, b;', 'CREATE TABLE s (id int); TRUNCATE s;'],
  bad: ['TRUNCATE "Account" CASCADE;', 'CREATE TABLE s (id int); TRUNCATE s CASCADE;'],
};
