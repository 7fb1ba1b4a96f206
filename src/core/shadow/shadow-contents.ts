/**
 * What a shadow database holds, and emptying it. `shadowContents` decides whether an unmarked database
 * may become the shadow (only an empty one may); `resetShadowSchemas` empties a verified shadow.
 */
import type pg from 'pg';
import { quoteIdent } from '../../migrations/connection.js';

/** Schemas PostgreSQL owns: never reported, never dropped. */
const SYSTEM_SCHEMA = "(n.nspname = 'information_schema' OR n.nspname LIKE 'pg\\_%')";

/**
 * Up to five things a fresh database would not hold: schemas other than `public`, relations, types
 * and routines in `public`, extensions other than plpgsql. Empty when the database is empty. Read-only.
 */
export async function shadowContents(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ what: string }>(
    `SELECT what FROM (
       SELECT 'schema "' || n.nspname || '"' AS what FROM pg_namespace n
        WHERE n.nspname <> 'public' AND NOT ${SYSTEM_SCHEMA}
       UNION ALL
       SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
                ELSE 'relation' END || ' "' || c.relname || '"'
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       UNION ALL
       SELECT 'type "' || t.typname || '"' FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public'
          AND (t.typtype IN ('e', 'd', 'r', 'm')
               OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
       UNION ALL
       SELECT 'function "' || p.proname || '"' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
       UNION ALL
       SELECT 'extension "' || e.extname || '"' FROM pg_extension e WHERE e.extname <> 'plpgsql'
     ) found ORDER BY what LIMIT 5`,
  );
  return r.rows.map((row) => row.what);
}

/**
 * Empties the database in one transaction: extensions other than plpgsql, then every non-system schema
 * with its contents; `public` is recreated (and `urlSchema`, the URL's `schema=`, when it names
 * another). The connecting role must own what it drops (normally: it owns the database and all in it).
 * The caller has verified that this is the shadow, on this same session.
 */
export async function resetShadowSchemas(client: pg.Client, urlSchema?: string): Promise<void> {
  await client.query('BEGIN');
  try {
    // A session still busy in the shadow (a restore left behind) must not hold the reset forever.
    await client.query("SET LOCAL lock_timeout = '10s'");
    const ext = await client.query<{ name: string }>(
      "SELECT extname AS name FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname",
    );
    for (const { name } of ext.rows)
      await client.query(`DROP EXTENSION IF EXISTS ${quoteIdent(name)} CASCADE`);
    const schemas = await client.query<{ name: string }>(
      `SELECT n.nspname AS name FROM pg_namespace n WHERE NOT ${SYSTEM_SCHEMA} ORDER BY n.nspname`,
    );
    for (const { name } of schemas.rows)
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`);
    await client.query('CREATE SCHEMA public');
    await client.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
    if (urlSchema !== undefined && urlSchema !== 'public')
      await client.query(`CREATE SCHEMA ${quoteIdent(urlSchema)}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
