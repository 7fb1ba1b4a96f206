/**
 * `pg_restore --clean` only drops what the backup contains: a table, type or function that a failed
 * run created after the backup would survive the restore. The prelude, run in the same transaction
 * as the restore script, drops every such object: whatever lives in the database's own schemas and
 * is not in the backup's table of contents (objects of extensions are left alone).
 */

/** The objects a custom-format dump contains, as `pg_restore --list` names them. */
export interface TocObjects {
  /** `schema.name` of tables, views, materialized views, sequences and foreign tables. */
  readonly relations: readonly string[];
  /** `schema.name` of types and domains. */
  readonly types: readonly string[];
  /** `schema.name(argument types)` of functions and procedures. */
  readonly functions: readonly string[];
  /** Schemas the dump creates or puts objects in. */
  readonly schemas: readonly string[];
}

const ENTRY =
  /^\d+; \d+ \d+ (MATERIALIZED VIEW|FOREIGN TABLE|TABLE|SEQUENCE|VIEW|TYPE|DOMAIN|FUNCTION|PROCEDURE|SCHEMA) (\S+) (.+) \S+$/;

/** Reads the object list out of `pg_restore --list` output. */
export function parseToc(list: string): TocObjects {
  const relations = new Set<string>();
  const types = new Set<string>();
  const functions = new Set<string>();
  const schemas = new Set<string>();
  for (const line of list.split('\n')) {
    const m = ENTRY.exec(line.trim());
    if (!m) continue;
    const [, kind, schema, name] = m as unknown as [string, string, string, string];
    if (kind === 'SCHEMA') {
      schemas.add(name);
      continue;
    }
    schemas.add(schema);
    if (kind === 'TYPE' || kind === 'DOMAIN') types.add(`${schema}.${name}`);
    else if (kind === 'FUNCTION' || kind === 'PROCEDURE') functions.add(`${schema}.${name}`);
    else relations.add(`${schema}.${name}`);
  }
  return { relations: [...relations], types: [...types], functions: [...functions], schemas: [...schemas] };
}

function literal(value: unknown): string {
  return `'${JSON.stringify(value).replace(/'/g, "''")}'`;
}

/**
 * SQL (one DO block) that drops, in the dump's schemas, the relations, types and functions the dump
 * does not contain, and the non-system schemas it does not know. Meant for `psql -1` before the
 * script of `pg_restore --clean --if-exists`.
 */
export function restorePreludeSql(toc: TocObjects): string {
  return `DO $drawbridge_restore$
DECLARE
  keep_rel jsonb := ${literal(toc.relations)}::jsonb;
  keep_type jsonb := ${literal(toc.types)}::jsonb;
  keep_fn jsonb := ${literal(toc.functions)}::jsonb;
  dump_schemas text[] := ARRAY(SELECT jsonb_array_elements_text(${literal(toc.schemas)}::jsonb));
  r record;
BEGIN
  FOR r IN
    SELECT n.nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname !~ '^pg_'
      AND n.nspname <> ALL (dump_schemas)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN
    SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (dump_schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT keep_rel ? (n.nspname || '.' || c.relname)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.nspname, r.relname);
  END LOOP;
  FOR r IN
    SELECT n.nspname, t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_class c ON c.oid = t.typrelid
    WHERE n.nspname = ANY (dump_schemas) AND (t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND c.relkind = 'c'))
      AND NOT keep_type ? (n.nspname || '.' || t.typname)
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.nspname, r.typname);
  END LOOP;
  FOR r IN
    SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes) AS args, p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ANY (dump_schemas) AND p.prokind IN ('f', 'p')
      AND NOT keep_fn ? (n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I(%s) CASCADE', CASE r.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.nspname, r.proname, r.args);
  END LOOP;
END
$drawbridge_restore$;
`;
}
