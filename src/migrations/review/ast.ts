/**
 * Small, typed accessors over libpg-query parse trees, shared by the rules and the impact estimate.
 */
import type {
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint,
  Node,
  RangeVar,
  TypeName,
} from 'libpg-query';

/** `schema.name` key used to match relations across statements (unqualified means `public`). */
export function relationKey(rv: RangeVar | undefined): string {
  return `${rv?.schemaname ?? 'public'}.${rv?.relname ?? ''}`;
}

/** The relation as written, quoted when needed: `"User"`, `app.orders`. */
export function relationLabel(rv: RangeVar | undefined): string {
  const name = quoteIdent(rv?.relname ?? '?');
  return rv?.schemaname ? `${quoteIdent(rv.schemaname)}.${name}` : name;
}

/** Double-quotes an identifier unless it is plain lower-case. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The `sval`s of a list of String nodes, e.g. a qualified name. */
export function names(list: Node[] | undefined): string[] {
  const out: string[] = [];
  for (const n of list ?? []) if ('String' in n && n.String.sval !== undefined) out.push(n.String.sval);
  return out;
}

/** Key for a type/other object named by a qualified name list. */
export function qualifiedKey(list: Node[] | undefined): string {
  const parts = names(list);
  return parts.length > 1 ? parts.join('.') : `public.${parts[0] ?? ''}`;
}

/** The unqualified, lower-case type name: `int4`, `json`, `serial`, `timestamptz`. */
export function typeNameOf(t: TypeName | undefined): string {
  const parts = names(t?.names);
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

/** The AlterTableStmt of a node, if it is one on a table (not an index/sequence/view). */
export function alterTable(node: Node): AlterTableStmt | undefined {
  if (!('AlterTableStmt' in node)) return undefined;
  const s = node.AlterTableStmt;
  return s.objtype === undefined || s.objtype === 'OBJECT_TABLE' ? s : undefined;
}

/** The sub-commands of an ALTER TABLE. */
export function alterCommands(stmt: AlterTableStmt): AlterTableCmd[] {
  const out: AlterTableCmd[] = [];
  for (const c of stmt.cmds ?? []) if ('AlterTableCmd' in c) out.push(c.AlterTableCmd);
  return out;
}

/** The column definition of an ADD COLUMN command. */
export function addedColumn(cmd: AlterTableCmd): ColumnDef | undefined {
  if (cmd.subtype !== 'AT_AddColumn' || !cmd.def || !('ColumnDef' in cmd.def)) return undefined;
  return cmd.def.ColumnDef;
}

/** The table constraint of an ADD CONSTRAINT command. */
export function addedConstraint(cmd: AlterTableCmd): Constraint | undefined {
  if (cmd.subtype !== 'AT_AddConstraint' || !cmd.def || !('Constraint' in cmd.def)) return undefined;
  return cmd.def.Constraint;
}

/** Inline constraints of a column definition. */
export function columnConstraints(col: ColumnDef): Constraint[] {
  const out: Constraint[] = [];
  for (const c of col.constraints ?? []) if ('Constraint' in c) out.push(c.Constraint);
  return out;
}

/** Calls `visit` on every object inside a parse tree, depth first. */
export function walk(value: unknown, visit: (key: string, obj: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (child !== null && typeof child === 'object') {
      if (!Array.isArray(child)) visit(key, child as Record<string, unknown>);
      walk(child, visit);
    }
  }
}

/** Names (last part, lower-case) of every function called inside an expression. */
export function calledFunctions(expr: unknown): string[] {
  const out: string[] = [];
  walk(expr, (key, obj) => {
    if (key === 'FuncCall') {
      const parts = names(obj.funcname as Node[] | undefined);
      out.push((parts[parts.length - 1] ?? '').toLowerCase());
    }
  });
  return out;
}

/** Every string literal inside a parse tree. */
export function stringLiterals(tree: unknown): string[] {
  const out: string[] = [];
  walk(tree, (key, obj) => {
    if (key === 'A_Const') {
      const sval = obj.sval as { sval?: string } | undefined;
      if (sval?.sval !== undefined) out.push(sval.sval);
    }
  });
  return out;
}

/** Shortens a statement to its first line, at most `max` characters. */
export function firstLine(text: string, max = 120): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** An object named in a DROP statement: its `schema.name` key and its label as written. */
export interface DroppedObject {
  key: string;
  label: string;
}

/** The objects of a DROP statement (tables, indexes, views: qualified lists; schemas: strings; types: TypeNames). */
export function droppedObjects(objects: Node[] | undefined): DroppedObject[] {
  const out: DroppedObject[] = [];
  for (const o of objects ?? []) {
    let parts: string[] = [];
    if ('List' in o) parts = names(o.List.items);
    else if ('String' in o) parts = [o.String.sval ?? ''];
    else if ('TypeName' in o) parts = names(o.TypeName.names);
    if (parts.length === 0) continue;
    const key = parts.length > 1 ? parts.join('.') : `public.${parts[0]}`;
    out.push({ key, label: parts.map(quoteIdent).join('.') });
  }
  return out;
}
