import type { Constraint } from 'libpg-query';
import { addedConstraint, names, relationKey } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { anyAlter, existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'set-not-null',
  category: 'blocking-lock',
  severity: 'error',
  summary: 'SET NOT NULL without a validated `col IS NOT NULL` check before it',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

/** The column a CHECK proves non-null (`CHECK (col IS NOT NULL)`), if it is that shape. */
function notNullColumn(con: Constraint): string | undefined {
  const expr = con.raw_expr;
  if (!expr || !('NullTest' in expr) || expr.NullTest.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const arg = expr.NullTest.arg;
  if (!arg || !('ColumnRef' in arg)) return undefined;
  return names(arg.ColumnRef.fields).pop();
}

/** `table|column` pairs proven non-null by a validated check earlier in the file. */
function provenColumns(before: ParsedStatement[]): Set<string> {
  const checks = new Map<string, string>();
  const proven = new Set<string>();
  for (const s of before) {
    const alter = anyAlter(s);
    if (!alter) continue;
    const key = relationKey(alter.relation);
    for (const cmd of alter.cmds) {
      const con = addedConstraint(cmd);
      const col = con?.contype === 'CONSTR_CHECK' ? notNullColumn(con) : undefined;
      if (con && col) {
        if (con.skip_validation) checks.set(`${key}|${con.conname ?? ''}`, col);
        else proven.add(`${key}|${col}`);
      }
      const validated =
        cmd.subtype === 'AT_ValidateConstraint' ? checks.get(`${key}|${cmd.name ?? ''}`) : undefined;
      if (validated) proven.add(`${key}|${validated}`);
    }
  }
  return proven;
}

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  const sets = alter?.cmds.filter((c) => c.subtype === 'AT_SetNotNull') ?? [];
  if (!alter || sets.length === 0) return [];
  const key = relationKey(alter.relation);
  if (ctx.priorValidatedTables.has(key)) return [];
  const proven = provenColumns(ctx.statements.slice(0, stmt.index));
  return sets
    .filter((c) => !proven.has(`${key}|${c.name ?? ''}`))
    .map((c) => ({
      table: alter.table,
      message: `SET NOT NULL on ${c.name ?? '?'} scans every row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}, and fails if any row is NULL.`,
      help: 'Add CHECK (col IS NOT NULL) NOT VALID, backfill, VALIDATE it in a later migration, then SET NOT NULL and drop the check.',
    }));
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "User" ADD CONSTRAINT "User_email_nn" CHECK ("email" IS NOT NULL) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE "User" VALIDATE CONSTRAINT "User_email_nn";\nALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;\nCOMMIT;',
    'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;',
  ],
  bad: [
    'ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;',
    'ALTER TABLE app.users ALTER COLUMN name SET NOT NULL, ALTER COLUMN age SET NOT NULL;',
  ],
};
