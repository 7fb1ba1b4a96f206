import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'rename-schema',
  category: 'backward-incompatible',
  severity: 'warning',
  summary: 'ALTER SCHEMA ... RENAME',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['RenameStmt'];

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const node = stmt.node;
  if (!('RenameStmt' in node) || node.RenameStmt.renameType !== 'OBJECT_SCHEMA') return [];
  const { subname, newname } = node.RenameStmt;
  if (ctx.isNew(`schema:${subname ?? ''}`, stmt.index)) return [];
  return [
    {
      message: `Renaming schema ${subname ?? '?'} to ${newname ?? '?'} breaks every running client and search_path that names the old schema.`,
      help: 'Create the new schema and move objects into it in phases, keeping the old names working until clients switch.',
    },
  ];
}

export const examples: RuleExamples = {
  good: ['CREATE SCHEMA tmp;\nALTER SCHEMA tmp RENAME TO final;', 'ALTER SCHEMA app OWNER TO app_owner;'],
  bad: ['ALTER SCHEMA app RENAME TO core;', 'ALTER SCHEMA "Legacy" RENAME TO legacy;'],
};
