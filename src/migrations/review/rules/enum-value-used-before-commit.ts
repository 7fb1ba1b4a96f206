import { names, qualifiedKey, stringLiterals } from '../ast.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'enum-value-used-before-commit',
  category: 'transaction-unsafe',
  severity: 'error',
  summary: "ALTER TYPE ... ADD VALUE 'x' followed in the same transaction by a use of 'x'",
};

interface AddedValue {
  type: string;
  value: string;
}

/** Enum labels added earlier in the same transaction to enums that existed before the file. */
function addedValues(before: ParsedStatement[], ctx: FileContext, index: number): AddedValue[] {
  const out: AddedValue[] = [];
  for (const s of before) {
    if (!('AlterEnumStmt' in s.node)) continue;
    const e = s.node.AlterEnumStmt;
    // A label added to an enum created in the same transaction is usable at once (PostgreSQL 12+).
    if (
      e.oldVal !== undefined ||
      e.newVal === undefined ||
      ctx.isNew(`type:${qualifiedKey(e.typeName)}`, index)
    )
      continue;
    out.push({ type: names(e.typeName).join('.'), value: e.newVal });
  }
  return out;
}

const firstEnumAlters = new WeakMap<FileContext, number>();

/** The index of the file's first ALTER TYPE statement (found once per file; most files have none). */
function firstEnumAlter(ctx: FileContext): number {
  let at = firstEnumAlters.get(ctx);
  if (at === undefined) {
    at = ctx.statements.find((s) => 'AlterEnumStmt' in s.node)?.index ?? Infinity;
    firstEnumAlters.set(ctx, at);
  }
  return at;
}

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  if ('AlterEnumStmt' in stmt.node || 'TransactionStmt' in stmt.node) return [];
  if (firstEnumAlter(ctx) > stmt.index) return [];
  const added = addedValues(ctx.sameSegmentBefore(stmt.index), ctx, stmt.index);
  if (added.length === 0) return [];
  const literals = new Set(stringLiterals(stmt.node));
  return added
    .filter((a) => literals.has(a.value))
    .map((a) => ({
      message: `Enum label '${a.value}' of ${a.type} is used in the same transaction that added it; PostgreSQL rejects that with "unsafe use of new value" (SQLSTATE 55P04) and the migration fails.`,
      help: `Use '${a.value}' in a later migration, or COMMIT after ALTER TYPE ... ADD VALUE.`,
    }));
}

export const examples: RuleExamples = {
  good: [
    'ALTER TYPE "Role" ADD VALUE \'OWNER\';',
    'BEGIN;\nALTER TYPE "Role" ADD VALUE \'OWNER\';\nCOMMIT;\nBEGIN;\nUPDATE "User" SET "role" = \'OWNER\' WHERE "id" = 1;\nCOMMIT;',
  ],
  bad: [
    'ALTER TYPE "Role" ADD VALUE \'OWNER\';\nUPDATE "User" SET "role" = \'OWNER\' WHERE "isFounder";',
    'ALTER TYPE "Status" ADD VALUE \'ARCHIVED\';\nALTER TABLE "Post" ALTER COLUMN "status" SET DEFAULT \'ARCHIVED\';',
  ],
};
