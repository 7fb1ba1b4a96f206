import type { Node } from 'libpg-query';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'duplicate-column-assignment',
  category: 'other',
  severity: 'error',
  summary: 'a column repeated in UPDATE SET, an INSERT column list or CREATE TABLE',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['UpdateStmt', 'InsertStmt', 'CreateStmt'];

function assignedColumns(node: Node): { what: string; columns: string[] } | undefined {
  const targets = (list: Node[] | undefined): string[] =>
    (list ?? []).flatMap((n) => ('ResTarget' in n && n.ResTarget.name ? [n.ResTarget.name] : []));
  if ('UpdateStmt' in node) return { what: 'UPDATE SET', columns: targets(node.UpdateStmt.targetList) };
  if ('InsertStmt' in node) return { what: 'the INSERT column list', columns: targets(node.InsertStmt.cols) };
  if ('CreateStmt' in node) {
    const cols = (node.CreateStmt.tableElts ?? []).flatMap((n) =>
      'ColumnDef' in n && n.ColumnDef.colname ? [n.ColumnDef.colname] : [],
    );
    return { what: 'CREATE TABLE', columns: cols };
  }
  return undefined;
}

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  const found = assignedColumns(stmt.node);
  if (!found) return [];
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const c of found.columns) (seen.has(c) ? dups : seen).add(c);
  return [...dups].map((c) => ({
    message: `Column ${c} appears more than once in ${found.what}; PostgreSQL rejects the statement and the migration fails.`,
    help: 'Remove the duplicate column.',
  }));
}

export const examples: RuleExamples = {
  good: [
    'UPDATE "User" SET "a" = 1, "b" = 2 WHERE "id" = 3;',
    'INSERT INTO "Plan" ("id", "name") VALUES (1, \'free\');',
  ],
  bad: [
    'UPDATE "User" SET "a" = 1, "a" = 2 WHERE "id" = 3;',
    'INSERT INTO "Plan" ("id", "id") VALUES (1, 2);',
    'CREATE TABLE t (a int, a text);',
  ],
};
