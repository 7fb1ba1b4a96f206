import type { Node } from 'libpg-query';
import { names, relationLabel } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { anyAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'autovacuum-disabled',
  category: 'other',
  severity: 'info',
  summary: 'SET (autovacuum_enabled = false)',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['CreateStmt', 'AlterTableStmt'];

const FALSE = new Set(['false', 'off', 'no', '0', 'f', 'n']);

function disables(options: Node[] | undefined): boolean {
  return (options ?? []).some((o) => {
    if (!('DefElem' in o) || o.DefElem.defname !== 'autovacuum_enabled') return false;
    const arg = o.DefElem.arg;
    if (!arg) return false;
    if ('Integer' in arg) return (arg.Integer.ival ?? 0) === 0;
    const text =
      'String' in arg ? arg.String.sval : 'TypeName' in arg ? names(arg.TypeName.names)[0] : undefined;
    return FALSE.has((text ?? '').toLowerCase());
  });
}

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  let table: string | undefined;
  if ('CreateStmt' in stmt.node && disables(stmt.node.CreateStmt.options))
    table = relationLabel(stmt.node.CreateStmt.relation);
  const alter = anyAlter(stmt);
  if (
    alter?.cmds.some(
      (c) => c.subtype === 'AT_SetRelOptions' && c.def && 'List' in c.def && disables(c.def.List.items),
    )
  ) {
    table = alter.table;
  }
  if (!table) return [];
  return [
    {
      table,
      message: `Autovacuum is switched off for ${table}: dead rows pile up, the table bloats, and transaction-ID wraparound protection has to force a vacuum later.`,
      help: 'Keep autovacuum on and tune its thresholds for the table instead.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.01);',
    'ALTER TABLE events SET (autovacuum_enabled = true);',
  ],
  bad: [
    'ALTER TABLE events SET (autovacuum_enabled = false);',
    'CREATE TABLE t (id int) WITH (autovacuum_enabled = off);',
  ],
};
