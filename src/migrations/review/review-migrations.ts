/**
 * Reviews a list of migrations (and, given a database URL, estimates their impact), and reads
 * migrations from a Prisma migrations folder or a single .sql file for the CLI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DrawbridgeError, describeError } from '../../base/errors.js';
import { sortNamesBytewise } from '../name-order.js';
import { alterCommands, alterTable, firstLine, relationKey } from './ast.js';
import { classifyMigration, tableImpact } from './impact-estimate.js';
import type { TableRef } from './impact-reader.js';
import { loadParser } from './parse-sql.js';
import type { FileContext } from './rule.js';
import { analyzeSql } from './review-sql.js';
import { statementTouches, touchLabel } from './table-effects.js';
import type { ImpactEstimate, ReviewReport, ReviewResult, StatementTouch } from './types.js';

/** A migration to review: its name (directory name) and SQL. */
export interface MigrationEntry {
  name: string;
  sql: string;
}

/** Options of `reviewMigrations`. */
export interface ReviewMigrationsOptions {
  /** Target database for the impact estimate (read-only). Without it the estimate is unavailable. */
  databaseUrl?: string;
}

/** What the impact estimate needs of one migration: its touches, not its syntax tree. */
interface Analyzed {
  name: string;
  tables: Map<string, { ref: TableRef; label: string; touches: StatementTouch[] }>;
}

/** Reviews migrations in the given order; with `databaseUrl`, adds the impact estimate. Never throws on user SQL. */
export async function reviewMigrations(
  entries: MigrationEntry[],
  opts: ReviewMigrationsOptions = {},
): Promise<ReviewReport> {
  await loadParser();
  const validated = new Set<string>();
  const results: ReviewResult[] = [];
  // Each file is parsed once; its syntax tree is dropped after this iteration (only the findings,
  // and for an estimate the table touches, are kept), so memory stays flat over long histories.
  const analyzed: Analyzed[] = [];
  for (const e of entries) {
    const { result, context } = analyzeSql(e.sql, {
      migration: e.name,
      priorValidatedTables: new Set(validated),
    });
    results.push(result);
    if (opts.databaseUrl) analyzed.push({ name: e.name, tables: touchesByTable(context) });
    for (const s of context?.statements ?? []) {
      const alter = alterTable(s.node);
      if (alter && alterCommands(alter).some((c) => c.subtype === 'AT_ValidateConstraint'))
        validated.add(relationKey(alter.relation));
    }
  }
  const impact = opts.databaseUrl
    ? await estimate(opts.databaseUrl, analyzed)
    : ({ available: false, reason: 'no database given: the impact estimate is unavailable' } as const);
  return { results, impact, summary: summarize(results) };
}

/** Touches of every pre-existing table, grouped by table key, for one migration. */
function touchesByTable(
  context: FileContext | undefined,
): Map<string, { ref: TableRef; label: string; touches: StatementTouch[] }> {
  const out = new Map<string, { ref: TableRef; label: string; touches: StatementTouch[] }>();
  for (const s of context?.statements ?? []) {
    for (const t of statementTouches(s, context as FileContext)) {
      const entry = out.get(t.key) ?? {
        ref: { key: t.key, schema: t.schema, name: t.name },
        label: touchLabel(t),
        touches: [],
      };
      entry.touches.push({ line: s.line, statement: firstLine(s.text), lock: t.lock, effect: t.effect });
      out.set(t.key, entry);
    }
  }
  return out;
}

async function estimate(databaseUrl: string, analyzed: Analyzed[]): Promise<ImpactEstimate> {
  const perMigration = analyzed;
  const refs = new Map<string, TableRef>();
  for (const m of perMigration) for (const t of m.tables.values()) refs.set(t.ref.key, t.ref);
  let facts;
  try {
    // pg is loaded only when there is a database to read (`drawbridge review <path>` has none).
    const { readTableFacts } = await import('./impact-reader.js');
    facts = await readTableFacts(databaseUrl, [...refs.values()]);
  } catch (err) {
    return { available: false, reason: `impact estimate unavailable: ${describeError(err)}` };
  }
  const migrations = perMigration.map((m) => {
    const tables = [...m.tables.values()].map((t) => {
      const f = facts.get(t.ref.key) ?? {
        exists: false,
        rows: 0,
        rowsSource: 'unknown' as const,
        totalBytes: 0,
        heldLocks: [],
      };
      return tableImpact(t.label, f, t.touches);
    });
    return classifyMigration(m.name, tables);
  });
  return { available: true, migrations };
}

function summarize(results: ReviewResult[]): ReviewReport['summary'] {
  const summary = { error: 0, warning: 0, info: 0, suppressed: 0 };
  for (const r of results) {
    for (const f of r.findings) summary[f.severity]++;
    summary.suppressed += r.suppressed.length;
  }
  return summary;
}

/**
 * Reads migrations from a path: a Prisma migrations directory (subdirectories holding migration.sql,
 * sorted byte-wise by name) or a single .sql file. Throws DrawbridgeError REVIEW_PATH when the path
 * holds neither.
 */
export async function readMigrationsPath(path: string): Promise<MigrationEntry[]> {
  let info;
  try {
    info = statSync(path);
  } catch (err) {
    throw new DrawbridgeError('REVIEW_PATH', `cannot read ${path}`, {
      cause: err,
      hint: 'Give a migrations directory or a .sql file.',
    });
  }
  if (info.isFile()) return [{ name: basename(path), sql: readFileSync(path, 'utf8') }];
  const dirs = sortNamesBytewise(
    readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name),
  );
  const entries: MigrationEntry[] = [];
  // Synchronous reads, as the folder itself: hundreds of small files, each read whole; fs/promises
  // pays an open, fstat and close round trip through the thread pool per file, several times the
  // read itself (and a short CLI process that never loads it starts a millisecond sooner).
  for (const name of dirs) {
    const sql = readOptional(join(path, name, 'migration.sql'));
    if (sql !== undefined) entries.push({ name, sql });
  }
  if (entries.length === 0 && dirs.length === 0) {
    const files = sortNamesBytewise(readdirSync(path).filter((f) => f.endsWith('.sql')));
    for (const f of files) entries.push({ name: f, sql: readFileSync(join(path, f), 'utf8') });
  }
  return entries;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reviews a migrations directory or a single .sql file (for `drawbridge review <path>`). */
export async function reviewPath(path: string, opts: ReviewMigrationsOptions = {}): Promise<ReviewReport> {
  return reviewMigrations(await readMigrationsPath(path), opts);
}
