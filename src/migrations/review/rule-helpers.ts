/**
 * Helpers shared by rule modules: the pre-existing-table filter for ALTER TABLE and common phrases.
 */
import type { AlterTableCmd, RangeVar } from 'libpg-query';
import { alterCommands, alterTable, relationLabel } from './ast.js';
import type { ParsedStatement } from './parse-sql.js';
import type { FileContext } from './rule.js';

/** An ALTER TABLE on a table that existed before this migration file. */
export interface ExistingAlter {
  relation: RangeVar | undefined;
  table: string;
  cmds: AlterTableCmd[];
}

/** The ALTER TABLE of a statement when it targets a pre-existing table; undefined otherwise. */
export function existingAlter(stmt: ParsedStatement, ctx: FileContext): ExistingAlter | undefined {
  const alter = alterTable(stmt.node);
  if (!alter || ctx.isNewTable(alter.relation, stmt.index)) return undefined;
  return { relation: alter.relation, table: relationLabel(alter.relation), cmds: alterCommands(alter) };
}

/** The ALTER TABLE of a statement on any table (new or not). */
export function anyAlter(stmt: ParsedStatement): ExistingAlter | undefined {
  const alter = alterTable(stmt.node);
  if (!alter) return undefined;
  return { relation: alter.relation, table: relationLabel(alter.relation), cmds: alterCommands(alter) };
}
