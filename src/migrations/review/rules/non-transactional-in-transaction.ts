import type { Node } from 'libpg-query';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'non-transactional-in-transaction',
  category: 'transaction-unsafe',
  severity: 'error',
  summary: 'a statement that cannot run in a transaction block, inside BEGIN…COMMIT or sharing its file',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = [
  'IndexStmt',
  'DropStmt',
  'ReindexStmt',
  'AlterTableStmt',
  'VacuumStmt',
  'CreatedbStmt',
  'DropdbStmt',
  'AlterSystemStmt',
  'CreateTableSpaceStmt',
];

/** What the statement is when PostgreSQL refuses to run it inside a transaction block. */
function nonTransactional(node: Node): string | undefined {
  if ('IndexStmt' in node) return node.IndexStmt.concurrent ? 'CREATE INDEX CONCURRENTLY' : undefined;
  if ('DropStmt' in node) return node.DropStmt.concurrent ? 'DROP INDEX CONCURRENTLY' : undefined;
  if ('ReindexStmt' in node) {
    const r = node.ReindexStmt;
    if ((r.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently'))
      return 'REINDEX CONCURRENTLY';
    if (r.kind === 'REINDEX_OBJECT_DATABASE' || r.kind === 'REINDEX_OBJECT_SYSTEM')
      return 'REINDEX DATABASE/SYSTEM';
    return undefined;
  }
  if ('AlterTableStmt' in node) {
    const detach = (node.AlterTableStmt.cmds ?? []).some(
      (c) =>
        'AlterTableCmd' in c &&
        c.AlterTableCmd.def !== undefined &&
        'PartitionCmd' in c.AlterTableCmd.def &&
        c.AlterTableCmd.subtype === 'AT_DetachPartition' &&
        c.AlterTableCmd.def.PartitionCmd.concurrent === true,
    );
    return detach ? 'DETACH PARTITION CONCURRENTLY' : undefined;
  }
  if ('VacuumStmt' in node) return node.VacuumStmt.is_vacuumcmd ? 'VACUUM' : undefined;
  if ('CreatedbStmt' in node) return 'CREATE DATABASE';
  if ('DropdbStmt' in node) return 'DROP DATABASE';
  if ('AlterSystemStmt' in node) return 'ALTER SYSTEM';
  if ('CreateTableSpaceStmt' in node) return 'CREATE TABLESPACE';
  return undefined;
}

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const what = nonTransactional(stmt.node);
  if (!what) return [];
  const inBlock = ctx.places[stmt.index]?.explicit === true;
  if (!inBlock && ctx.statements.length === 1) return [];
  const where = inBlock
    ? 'inside BEGIN…COMMIT'
    : 'in a file with other statements, which run as one implicit transaction';
  return [
    {
      message: `${what} cannot run inside a transaction block, and here it runs ${where}: the migration fails with SQLSTATE 25001 (or, if forced through, loses the non-blocking behaviour).`,
      help: `Put ${what} alone in its own migration file, with no other statement and no BEGIN/COMMIT.`,
    },
  ];
}

export const examples: RuleExamples = {
  good: [
    'CREATE INDEX CONCURRENTLY "Post_authorId_idx" ON "Post"("authorId");',
    'DROP INDEX CONCURRENTLY IF EXISTS "Post_authorId_idx";\n-- only comments after it\n',
  ],
  bad: [
    'BEGIN;\nCREATE INDEX CONCURRENTLY "Post_authorId_idx" ON "Post"("authorId");\nCOMMIT;',
    'ALTER TABLE "Post" ADD COLUMN "slug" TEXT;\nCREATE UNIQUE INDEX CONCURRENTLY "Post_slug_key" ON "Post"("slug");',
  ],
};
