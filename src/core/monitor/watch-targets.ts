/**
 * What a run's migrations touched and created, read from their SQL with the review's parser: the
 * tables whose size and scans the watch follows, and the new indexes whose use it counts ("is the
 * new index used?"). A file that cannot be read or parsed adds nothing; the watch goes on without it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node } from 'libpg-query';
import type { WatchTargets } from './types.js';

interface RangeVar {
  schemaname?: string;
  relname?: string;
}

const qualified = (r: RangeVar | undefined): string | undefined =>
  r?.relname ? `${r.schemaname ?? 'public'}.${r.relname}` : undefined;

/** Tables and indexes of one parsed statement. */
export function statementTargets(node: Node): { tables: string[]; indexes: string[] } {
  const n = node as Record<string, { relation?: RangeVar; idxname?: string } | undefined>;
  const tables: (string | undefined)[] = [];
  const indexes: string[] = [];
  for (const kind of ['CreateStmt', 'AlterTableStmt', 'UpdateStmt', 'DeleteStmt', 'InsertStmt']) {
    if (n[kind]) tables.push(qualified(n[kind]?.relation));
  }
  const idx = n.IndexStmt;
  if (idx) {
    tables.push(qualified(idx.relation));
    if (idx.idxname)
      indexes.push(idx.relation?.schemaname ? `${idx.relation.schemaname}.${idx.idxname}` : idx.idxname);
  }
  return { tables: tables.filter((t): t is string => t !== undefined), indexes };
}

/** The targets of the migrations `names` in `dir` (each `<dir>/<name>/migration.sql`). */
export async function watchTargets(dir: string, names: readonly string[]): Promise<WatchTargets> {
  const tables = new Set<string>();
  const indexes = new Set<string>();
  // The SQL parser loads on first use (a CLI deploy or status needs none).
  const { loadParser, parseMigrationSql } = await import('../../migrations/review/parse-sql.js');
  await loadParser();
  for (const name of names) {
    let sql: string;
    try {
      sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
    } catch {
      continue;
    }
    const parsed = parseMigrationSql(sql);
    if (!parsed.ok) continue;
    for (const s of parsed.statements) {
      const t = statementTargets(s.node);
      t.tables.forEach((x) => tables.add(x));
      t.indexes.forEach((x) => indexes.add(x));
    }
  }
  return { tables: [...tables].sort(), indexes: [...indexes].sort() };
}
