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
  const alter = anyAlter(stmt);
  return alter && !ctx.isNewTable(alter.relation, stmt.index) ? alter : undefined;
}

/**
 * Each statement's ALTER TABLE, read once: some twenty rules ask for it on every ALTER TABLE. Frozen,
 * so that a rule cannot change what the next one reads (it would fail, and say so, instead).
 */
const alters = new WeakMap<ParsedStatement, ExistingAlter | null>();

/** The ALTER TABLE of a statement on any table (new or not). */
export function anyAlter(stmt: ParsedStatement): ExistingAlter | undefined {
  let read = alters.get(stmt);
  if (read === undefined) {
    const alter = alterTable(stmt.node);
    read = alter
      ? Object.freeze({
          relation: alter.relation,
          table: relationLabel(alter.relation),
          cmds: Object.freeze(alterCommands(alter)) as AlterTableCmd[],
        })
      : null;
    alters.set(stmt, read);
  }
  return read ?? undefined;
}
