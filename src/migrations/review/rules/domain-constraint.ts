import { names } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'domain-constraint',
  category: 'other',
  severity: 'warning',
  summary: 'CREATE DOMAIN with CHECK; ALTER DOMAIN ADD CONSTRAINT',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['CreateDomainStmt', 'AlterDomainStmt'];

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if ('CreateDomainStmt' in node) {
    const d = node.CreateDomainStmt;
    const hasCheck = (d.constraints ?? []).some(
      (c) => 'Constraint' in c && c.Constraint.contype === 'CONSTR_CHECK',
    );
    if (!hasCheck) return [];
    return [
      {
        message: `Domain ${names(d.domainname).join('.')} carries a CHECK: changing it later validates every column of that domain in every table at once, and a failing check cannot be added NOT VALID per table.`,
        help: 'Put the check on the table columns instead of on the domain.',
      },
    ];
  }
  if (!('AlterDomainStmt' in node) || node.AlterDomainStmt.subtype !== 'C') return [];
  const def = node.AlterDomainStmt.def;
  if (def && 'Constraint' in def && def.Constraint.skip_validation) return [];
  return [
    {
      message: `ALTER DOMAIN ${names(node.AlterDomainStmt.typeName).join('.')} ADD CONSTRAINT checks every column of that domain in every table, holding a SHARE lock on each (blocks writes).`,
      help: 'Add the domain constraint with NOT VALID and VALIDATE it in a later migration, or use table constraints.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'CREATE DOMAIN email AS TEXT;',
    'ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0) NOT VALID;',
  ],
  bad: [
    'CREATE DOMAIN positive AS INT CHECK (VALUE > 0);',
    'ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);',
  ],
};
