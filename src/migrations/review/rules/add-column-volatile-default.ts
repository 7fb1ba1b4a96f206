import { addedColumn, calledFunctions, columnConstraints } from '../ast.js';
import { lockOn } from '../lock-modes.js';
import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';
import { existingAlter } from '../rule-helpers.js';

export const meta: RuleMeta = {
  id: 'add-column-volatile-default',
  category: 'table-rewrite',
  severity: 'error',
  summary: 'ADD COLUMN with a DEFAULT that calls a volatile or unknown function',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['AlterTableStmt'];

/**
 * Functions that are immutable or stable: PostgreSQL evaluates such a default once and stores it in
 * the catalog, so no rewrite. Anything else (gen_random_uuid, random, nextval, clock_timestamp, an
 * unknown user function) is treated as volatile and forces a rewrite of every row.
 */
const NON_VOLATILE = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_timestamp',
  'current_date',
  'lower',
  'upper',
  'btrim',
  'trim',
  'concat',
  'coalesce',
  'nullif',
  'greatest',
  'least',
  'abs',
  'round',
  'floor',
  'ceil',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'json_build_array',
  'array_to_string',
  'make_interval',
  'make_date',
  'make_timestamp',
  'make_timestamptz',
  'to_timestamp',
  'to_date',
  'to_char',
  'date_trunc',
  'length',
  'md5',
  'replace',
  'substring',
  'format',
  'timezone',
]);

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  const alter = existingAlter(stmt, ctx);
  if (!alter) return [];
  const hits: RuleHit[] = [];
  for (const cmd of alter.cmds) {
    const col = addedColumn(cmd);
    const def = col ? columnConstraints(col).find((c) => c.contype === 'CONSTR_DEFAULT') : undefined;
    if (!col || !def) continue;
    const volatile = calledFunctions(def.raw_expr).filter((f) => !NON_VOLATILE.has(f));
    if (volatile.length === 0) continue;
    hits.push({
      table: alter.table,
      message: `Adding column ${col.colname ?? '?'} with DEFAULT ${volatile[0]}() rewrites every row of ${alter.table} while holding ${lockOn('ACCESS EXCLUSIVE', alter.table)}, because the default is volatile.`,
      help: 'Add the column without a default, then SET DEFAULT in a separate statement and backfill existing rows in batches.',
    });
  }
  return hits;
}

export const examples: RuleExamples = {
  good: [
    'ALTER TABLE "User" ADD COLUMN "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;',
    'ALTER TABLE "User" ADD COLUMN "seenAt" TIMESTAMPTZ DEFAULT now();',
    'CREATE TABLE "Tok" ("id" INT);\nALTER TABLE "Tok" ADD COLUMN "uuid" UUID DEFAULT gen_random_uuid();',
  ],
  bad: [
    'ALTER TABLE "User" ADD COLUMN "uuid" UUID NOT NULL DEFAULT gen_random_uuid();',
    'ALTER TABLE orders ADD COLUMN shard INT DEFAULT my_shard_fn();',
  ],
};
