/**
 * Reads a database's schema from the catalogs into a `SchemaSnapshot`: one read-only, repeatable-read
 * transaction, the same queries for the live database and the shadow. System schemas, objects that
 * belong to an extension, and `_prisma_migrations` (with its index and constraint) are left out.
 */
import type pg from 'pg';
import type { ColumnShape, IndexShape, SchemaSnapshot } from './schema-diff.js';

/** `name` in public, `schema.name` elsewhere — the same on both sides of a comparison. */
const qualified = (ns: string, name: string): string =>
  `CASE WHEN ${ns} = 'public' THEN ${name} ELSE ${ns} || '.' || ${name} END`;
const USER_NS = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";
const NOT_LEDGER = "c.relname <> '_prisma_migrations'";
const notFromExtension = (catalog: string, oid: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;

const QUERIES = {
  schemas: `SELECT n.nspname AS name FROM pg_namespace n WHERE ${USER_NS} AND n.nspname <> 'public'
    AND ${notFromExtension('pg_namespace', 'n.oid')} ORDER BY 1`,
  extensions: `SELECT extname AS name FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`,
  columns: `SELECT ${qualified('n.nspname', 'c.relname')} AS tbl, a.attname AS col,
      format_type(a.atttypid, a.atttypmod) AS type, pg_get_expr(ad.adbin, ad.adrelid) AS dflt,
      NOT a.attnotnull AS nullable, a.attidentity::text AS identity, a.attgenerated::text AS generated
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    WHERE c.relkind IN ('r', 'p', 'f') AND ${USER_NS} AND ${NOT_LEDGER} AND ${notFromExtension('pg_class', 'c.oid')}
    ORDER BY 1, a.attnum`,
  indexes: `SELECT ${qualified('n.nspname', 'ic.relname')} AS name, ${qualified('n.nspname', 'c.relname')} AS tbl,
      pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_NS} AND ${NOT_LEDGER} AND ${notFromExtension('pg_class', 'c.oid')}
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
    ORDER BY 1`,
  constraints: `SELECT ${qualified('n.nspname', 'c.relname')} AS tbl, k.conname AS name,
      pg_get_constraintdef(k.oid) AS def
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_NS} AND ${NOT_LEDGER} AND ${notFromExtension('pg_class', 'c.oid')} ORDER BY 1, 2`,
  enums: `SELECT ${qualified('n.nspname', 't.typname')} AS name, e.enumlabel AS label
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE ${USER_NS} AND ${notFromExtension('pg_type', 't.oid')} ORDER BY 1, e.enumsortorder`,
  sequences: `SELECT ${qualified('n.nspname', 'c.relname')} AS name,
      format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement ||
      ' min ' || s.seqmin || ' max ' || s.seqmax || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END AS def
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_NS} AND ${notFromExtension('pg_class', 'c.oid')} ORDER BY 1`,
  views: `SELECT ${qualified('n.nspname', 'c.relname')} AS name, c.relkind = 'm' AS materialized,
      pg_get_viewdef(c.oid, true) AS def
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm') AND ${USER_NS} AND ${notFromExtension('pg_class', 'c.oid')} ORDER BY 1`,
  functions: `SELECT ${qualified('n.nspname', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
      md5(pg_get_functiondef(p.oid)) AS def
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.prokind IN ('f', 'p') AND ${USER_NS} AND ${notFromExtension('pg_proc', 'p.oid')} ORDER BY 1`,
  triggers: `SELECT ${qualified('n.nspname', 'c.relname')} AS tbl, t.tgname AS name, pg_get_triggerdef(t.oid) AS def
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT t.tgisinternal AND ${USER_NS} AND ${notFromExtension('pg_class', 'c.oid')} ORDER BY 1, 2`,
};

type Row = Record<string, unknown>;
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

function tablesOf(rows: Row[]): SchemaSnapshot['tables'] {
  const tables: Record<string, { columns: Record<string, ColumnShape> }> = {};
  for (const r of rows) {
    const table = (tables[str(r.tbl)] ??= { columns: {} });
    if (r.col === null) continue;
    table.columns[str(r.col)] = {
      type: str(r.type),
      default: r.dflt === null ? null : str(r.dflt),
      nullable: r.nullable === true,
      identity: str(r.identity),
      generated: str(r.generated),
    };
  }
  return tables;
}

/** Reads the schema. Runs only catalog reads, in a READ ONLY transaction it ends itself. */
export async function readSchema(client: pg.Client): Promise<SchemaSnapshot> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const q = async (sql: string): Promise<Row[]> => (await client.query<Row>(sql)).rows;
    const indexes: Record<string, IndexShape> = {};
    for (const r of await q(QUERIES.indexes))
      indexes[str(r.name)] = { table: str(r.tbl), definition: str(r.def), valid: r.valid === true };
    const enums: Record<string, string[]> = {};
    for (const r of await q(QUERIES.enums)) (enums[str(r.name)] ??= []).push(str(r.label));
    const byTable = (rows: Row[]) =>
      Object.fromEntries(
        rows.map((r) => [`${str(r.tbl)}.${str(r.name)}`, { table: str(r.tbl), definition: str(r.def) }]),
      );
    const snapshot: SchemaSnapshot = {
      schemas: (await q(QUERIES.schemas)).map((r) => str(r.name)),
      extensions: (await q(QUERIES.extensions)).map((r) => str(r.name)),
      tables: tablesOf(await q(QUERIES.columns)),
      indexes,
      constraints: byTable(await q(QUERIES.constraints)),
      enums,
      sequences: Object.fromEntries((await q(QUERIES.sequences)).map((r) => [str(r.name), str(r.def)])),
      views: Object.fromEntries(
        (await q(QUERIES.views)).map((r) => [
          str(r.name),
          { materialized: r.materialized === true, definition: str(r.def) },
        ]),
      ),
      functions: Object.fromEntries((await q(QUERIES.functions)).map((r) => [str(r.name), str(r.def)])),
      triggers: byTable(await q(QUERIES.triggers)),
    };
    return snapshot;
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}
