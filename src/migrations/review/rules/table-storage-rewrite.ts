import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'table-storage-rewrite',
  category: 'table-rewrite',
  severity: 'error',
  summary: 'SET LOGGED/UNLOGGED, SET ACCESS METHOD, SET TABLESPACE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

const WHAT: Record<string, string> = {
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
  AT_SetTableSpace: 'SET TABLESPACE',
};

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const what = WHAT[cmd.subtype ?? ''];
    if (!what) continue;
    hits.push({
      table: alter.table,
      message: `${what} copies all of ${alter.table} into new storage while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}.`,
      help: 'Do it in a maintenance window, or move the data with a logical copy to a new table.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: ['CREATE TABLE t (a int);\nALTER TABLE t SET UNLOGGED;', 'ALTER TABLE t SET (fillfactor = 90);'],
  bad: ['ALTER TABLE events SET LOGGED;', 'ALTER TABLE events SET TABLESPACE fast_ssd;'],
};
