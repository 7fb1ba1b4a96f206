import type { Node } from 'libpg-query';
import { walk } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'drop-foreign-key',
  category: 'data-loss-risk',
  severity: 'warning',
  summary: 'DROP CONSTRAINT of a foreign key (Prisma *_fkey name, or one known from the file)',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

const declared = new WeakMap<FileContext, Set<string>>();

/** Names of foreign keys declared anywhere in the file (read once per file, when first asked). */
function foreignKeyNames(ctx: FileContext): Set<string> {
  const known = declared.get(ctx);
  if (known) return known;
  const names = new Set<string>();
  for (const s of ctx.statements) {
    walk(s.node as Node, (key, obj) => {
      if (key === 'Constraint' && obj.contype === 'CONSTR_FOREIGN' && typeof obj.conname === 'string') {
        names.add(obj.conname);
      }
    });
  }
  declared.set(ctx, names);
  return names;
}

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const drops = alter.cmds.filter((c) => c.subtype === 'AT_DropConstraint' && c.name);
  if (drops.length === 0) return [];
  return drops
    .filter((c) => c.name?.endsWith('_fkey') || foreignKeyNames(ctx).has(c.name ?? ''))
    .map((c) => ({
      table: alter.table,
      message: `Dropping foreign key ${c.name ?? '?'} lets rows in ${alter.table} point at rows that no longer exist; it takes ${lockOn('ACCESS EXCLUSIVE', alter.table)} and on the referenced table.`,
      help: 'Keep the foreign key until the column itself is removed, and drop both in the same later release.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "Post" DROP CONSTRAINT "Post_title_check";',
    'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;',
  ],
  bad: [
    'ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";',
    'ALTER TABLE orders ADD CONSTRAINT orders_owner FOREIGN KEY (owner_id) REFERENCES users (id) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders DROP CONSTRAINT orders_owner;\nCOMMIT;',
  ],
};
