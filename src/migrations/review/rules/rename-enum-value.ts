import { names, qualifiedKey } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'rename-enum-value',
  category: 'backward-incompatible',
  severity: 'warning',
  summary: 'ALTER TYPE ... RENAME VALUE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterEnumStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('AlterEnumStmt' in node) || node.AlterEnumStmt.oldVal === undefined) return [];
  const e = node.AlterEnumStmt;
  if (ctx.isNew(`type:${qualifiedKey(e.typeName)}`, stmt.index)) return [];
  return [
    {
      message: `Renaming value '${e.oldVal ?? ''}' of enum ${names(e.typeName).join('.')} to '${e.newVal ?? ''}' makes running clients that read or write the old label fail.`,
      help: 'Add the new label, migrate the rows to it, stop writing the old one, and remove it later.',
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'ALTER TYPE "Role" ADD VALUE \'OWNER\';',
    "CREATE TYPE \"Tmp\" AS ENUM ('A');\nALTER TYPE \"Tmp\" RENAME VALUE 'A' TO 'B';",
  ],
  bad: [
    "ALTER TYPE \"Role\" RENAME VALUE 'ADMIN' TO 'OWNER';",
    "ALTER TYPE app.status RENAME VALUE 'new' TO 'open';",
  ],
};
