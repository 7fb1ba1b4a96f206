/**
 * Splits a migration file into statements with the real PostgreSQL 15 parser (libpg-query, WASM),
 * keeping each statement's text, position and the `-- drawbridge-ignore` directives written above it.
 * libpg-query reports byte offsets into the UTF-8 text; they are mapped back to string positions here.
 */
import { loadModule, parseSync, type Node } from 'libpg-query';

/** An ignore directive: `-- drawbridge-ignore <rule-id>[,<rule-id>...] <reason>`. */
export interface IgnoreDirective {
  ruleIds: string[];
  reason: string;
  line: number;
  column: number;
}

/** One parsed statement of a migration file. */
export interface ParsedStatement {
  /** 0-based position in the file. */
  index: number;
  /** The parse tree node, e.g. `{ AlterTableStmt: {...} }`. */
  node: Node;
  /** Statement text without leading comments and whitespace, without the final semicolon. */
  text: string;
  line: number;
  column: number;
  ignores: IgnoreDirective[];
}

/** A parse result: statements, or the parser's message and where it stopped. */
export type ParseOutcome =
  { ok: true; statements: ParsedStatement[] } | { ok: false; message: string; line: number; column: number };

// The WASM parser loads once, on the first `loadParser()`; parsing is then synchronous. (Not a
// top-level await: the CLI is bundled as one CommonJS script, which has none.)
let loading: Promise<void> | undefined;
let loaded = false;

/** Loads the parser (once); parseMigrationSql may be called after it resolves. */
export function loadParser(): Promise<void> {
  loading ??= loadModule().then(() => {
    loaded = true;
  });
  return loading;
}

interface RawStmt {
  stmt: Node;
  stmt_location?: number;
  stmt_len?: number;
}

const IGNORE_RE = /--\s*drawbridge-ignore\s+([A-Za-z0-9_,-]+)[ \t]*(.*)$/;

/**
 * Parses a whole file. Never throws on bad SQL: a syntax error becomes `{ ok: false }`. Throws when
 * called before `loadParser()` has resolved (a mistake in Drawbridge, not in the SQL).
 */
export function parseMigrationSql(sql: string): ParseOutcome {
  if (!loaded) throw new Error('the SQL parser is not loaded: await loadParser() before parsing');
  if (sql.trim() === '') return { ok: true, statements: [] };
  const text = new SourceText(sql);
  let tree: { stmts?: RawStmt[] };
  try {
    tree = parseSync(sql) as { stmts?: RawStmt[] };
  } catch (err) {
    const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = err instanceof Error ? err.message : String(err);
    const at = text.position(text.charIndex(details?.cursorPosition ?? 0));
    return { ok: false, message, ...at };
  }
  const statements: ParsedStatement[] = [];
  for (const raw of tree.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const start = text.charIndex(startByte);
    const end = raw.stmt_len ? text.charIndex(startByte + raw.stmt_len) : sql.length;
    const { offset, ignores } = leadingTrivia(sql, start, end, text);
    statements.push({
      index: statements.length,
      node: raw.stmt,
      text: sql.slice(offset, end).trim(),
      ...text.position(offset),
      ignores,
    });
  }
  return { ok: true, statements };
}

/** Skips whitespace and comments before a statement, collecting ignore directives on the way. */
function leadingTrivia(
  sql: string,
  start: number,
  end: number,
  text: SourceText,
): { offset: number; ignores: IgnoreDirective[] } {
  const ignores: IgnoreDirective[] = [];
  let i = start;
  while (i < end) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      const stop = nl < 0 || nl > end ? end : nl;
      const match = IGNORE_RE.exec(sql.slice(i, stop));
      if (match?.[1]) {
        const ruleIds = match[1].split(',').filter((r) => r.length > 0);
        ignores.push({ ruleIds, reason: (match[2] ?? '').trim(), ...text.position(i) });
      }
      i = stop;
    } else if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? end : close + 2;
    } else {
      break;
    }
  }
  return { offset: i, ignores };
}

/** Maps byte offsets to string indices and string indices to 1-based line/column. */
class SourceText {
  private readonly ascii: boolean;
  private readonly bytes: Buffer | undefined;
  private lineStarts: number[] | undefined;

  constructor(private readonly sql: string) {
    this.ascii = Buffer.byteLength(sql, 'utf8') === sql.length;
    this.bytes = this.ascii ? undefined : Buffer.from(sql, 'utf8');
  }

  charIndex(byteOffset: number): number {
    if (this.ascii || !this.bytes) return Math.min(byteOffset, this.sql.length);
    return this.bytes.subarray(0, byteOffset).toString('utf8').length;
  }

  position(index: number): { line: number; column: number } {
    this.lineStarts ??= computeLineStarts(this.sql);
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - (this.lineStarts[lo] ?? 0) + 1 };
  }
}

function computeLineStarts(sql: string): number[] {
  const starts = [0];
  for (let i = sql.indexOf('\n'); i >= 0; i = sql.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
