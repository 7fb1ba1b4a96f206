/**
 * What a `down.sql` throws away, read with the review's parser: the tables, columns, indexes and
 * types it drops (DROP TABLE/INDEX/TYPE, ALTER TABLE … DROP COLUMN). Pure; the row counts are read
 * by the caller. A file the parser rejects is reported as such, never guessed at.
 */
import { alterCommands, alterTable, droppedObjects, relationKey, relationLabel } from './review/ast.js';
import { parseMigrationSql } from './review/parse-sql.js';

/** Load before `downDrops` (the parser loads once). */
export { loadParser } from './review/parse-sql.js';

/** One object a down.sql drops. `key` is `schema.name` (`schema.table.column` for a column). */
export interface DownDrop {
  readonly kind: 'table' | 'column' | 'index' | 'type';
  readonly key: string;
  /** As written: `"User"`, `"User"."nickname"`. */
  readonly label: string;
  /** For a column: its table's key and the column name (for a count of its non-null values). */
  readonly table?: string;
  readonly column?: string;
}

export type DownDropsOutcome =
  | { readonly ok: true; readonly drops: readonly DownDrop[] }
  | { readonly ok: false; readonly message: string };

const KINDS: Record<string, DownDrop['kind'] | undefined> = {
  OBJECT_TABLE: 'table',
  OBJECT_INDEX: 'index',
  OBJECT_TYPE: 'type',
};

/** Parses a down.sql and lists what it drops, in file order. Pure; after `loadParser()`. */
export function downDrops(sql: string): DownDropsOutcome {
  const parsed = parseMigrationSql(sql);
  if (!parsed.ok) return { ok: false, message: `${parsed.message} (line ${parsed.line})` };
  const drops: DownDrop[] = [];
  for (const s of parsed.statements) {
    const node = s.node;
    if ('DropStmt' in node) {
      const kind = KINDS[node.DropStmt.removeType ?? ''];
      if (kind)
        for (const o of droppedObjects(node.DropStmt.objects))
          drops.push({ kind, key: o.key, label: o.label });
      continue;
    }
    const alter = alterTable(node);
    if (!alter) continue;
    for (const c of alterCommands(alter))
      if (c.subtype === 'AT_DropColumn' && c.name)
        drops.push({
          kind: 'column',
          key: `${relationKey(alter.relation)}.${c.name}`,
          label: `${relationLabel(alter.relation)}.${/^[a-z_][a-z0-9_$]*$/.test(c.name) ? c.name : `"${c.name}"`}`,
          table: relationKey(alter.relation),
          column: c.name,
        });
  }
  return { ok: true, drops };
}
