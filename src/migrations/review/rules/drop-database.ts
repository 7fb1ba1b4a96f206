import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'drop-database',
  category: 'destructive',
  severity: 'error',
  summary: 'DROP DATABASE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['DropdbStmt'];

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  if (!('DropdbStmt' in stmt.node)) return [];
  const name = stmt.node.DropdbStmt.dbname ?? '?';
  return [
    {
      message: `DROP DATABASE ${name} deletes a whole database and needs every other connection to it gone; it cannot run inside a transaction.`,
      help: 'Remove DROP DATABASE from the migration and do it by hand as a reviewed operation.',
    },
  ];
}

export const examples: RuleExamples = {
  good: ['CREATE DATABASE scratch;', 'SELECT 1;'],
  bad: ['DROP DATABASE staging_copy;', 'DROP DATABASE IF EXISTS old_app;'],
};
