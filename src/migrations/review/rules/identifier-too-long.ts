import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'identifier-too-long',
  category: 'other',
  severity: 'warning',
  summary: 'an identifier over 63 bytes',
};

/** The statements that define names; the engine runs this rule on no other (review-sql.ts). */
export const statements: readonly string[] = [
  'CreateStmt',
  'AlterTableStmt',
  'IndexStmt',
  'RenameStmt',
  'CreateEnumStmt',
  'ViewStmt',
  'CreateSeqStmt',
  'CreateSchemaStmt',
  'CreateTableAsStmt',
  'CreateDomainStmt',
  'CompositeTypeStmt',
];
const DEFINING = new Set(statements);

/**
 * Identifiers over 63 bytes written in the statement text, in order of first appearance. The parser
 * has already truncated long names to 63 bytes, so the check reads the source: quoted identifiers
 * (`""` is one quote) and bare words, skipping string literals, dollar-quoted bodies and comments.
 *
 * One pass over the text. It reads text as the regular expression it replaces did (kept in the
 * rule's test as the reference): an unclosed literal, quoted name, comment or dollar quote is
 * skipped one character at a time, and a literal or quoted name that runs off the end closes at the
 * first quote of its last doubled quote, as that expression's backtracking did.
 */
export function longIdentifiers(sql: string): string[] {
  const out = new Set<string>();
  const n = sql.length;
  // Characters that start nothing (digits, spaces, punctuation) are skipped by the expressions,
  // which run as compiled code; the loop handles one token at a time.
  let i = 0;
  while (i < n) {
    TOKEN_START.lastIndex = i;
    const start = TOKEN_START.exec(sql);
    if (!start) break;
    i = start.index;
    const c = sql.charCodeAt(i);
    if (c === QUOTE || c === APOSTROPHE) {
      const close = closingQuote(sql, i, c);
      if (close < 0) {
        i++;
        continue;
      }
      if (c === QUOTE && close - i - 1 > 21) {
        const name = sql.slice(i + 1, close).replaceAll('""', '"');
        if (byteLength(name) > MAX_BYTES) out.add(name);
      }
      i = close + 1;
    } else if (c === HYPHEN) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl;
    } else if (c === SLASH) {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? i + 1 : close + 2;
    } else if (c === DOLLAR) {
      i = afterDollarQuote(sql, i);
    } else {
      WORD_REST.lastIndex = i + 1;
      WORD_REST.test(sql);
      const j = WORD_REST.lastIndex;
      // A name over 63 bytes has more than 21 UTF-16 units (at most 3 bytes each).
      if (j - i > 21) {
        const name = sql.slice(i, j);
        if (byteLength(name) > MAX_BYTES) out.add(name);
      }
      i = j;
    }
  }
  return [...out];
}

/** Where a token may start: a quote, `$`, a comment, or a word (`[A-Za-z_]` or non-ASCII). */
const TOKEN_START = /["'$A-Za-z_\u0080-\uffff]|--|\/\*/g;
/** The rest of a word (always matches, possibly nothing). */
const WORD_REST = /[A-Za-z0-9_$\u0080-\uffff]*/y;

const MAX_BYTES = 63;
const QUOTE = 34;
const APOSTROPHE = 39;
const HYPHEN = 45;
const SLASH = 47;
const DOLLAR = 36;

function byteLength(s: string): number {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/**
 * The index of the quote that closes the literal or quoted name opened at `open` (a doubled quote
 * inside is one character of it), or -1 when there is none.
 */
function closingQuote(sql: string, open: number, q: number): number {
  const quote = q === QUOTE ? '"' : "'";
  let lastDoubled = -1;
  for (let k = sql.indexOf(quote, open + 1); k >= 0; k = sql.indexOf(quote, k + 2)) {
    if (sql.charCodeAt(k + 1) !== q) return k;
    lastDoubled = k;
  }
  return lastDoubled;
}

/** After a dollar-quoted body (`$tag$ … $tag$`) starting at `i`, or `i + 1` when there is none. */
function afterDollarQuote(sql: string, i: number): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95)) break;
    j++;
  }
  if (sql.charCodeAt(j) !== DOLLAR) return i + 1;
  const tag = sql.slice(i, j + 1);
  const close = sql.indexOf(tag, j + 1);
  return close < 0 ? i + 1 : close + tag.length;
}

/**
 * Whether the text could hold an identifier over 63 bytes: in ASCII text a byte is a character, so
 * such a name is a run of at least 64 word characters, bare, or between double quotes (`""` counts
 * once); text with any other character is always scanned. A regular expression runs as compiled code
 * from the first statement, where the scanner above runs as bytecode in a short process, so most
 * statements (no long run) are answered here. A bare run is tried only where it starts (the
 * lookbehind), so the test is linear in the text.
 */
const MAYBE_LONG = /[^\0-\x7f]|(?<![A-Za-z0-9_$])[A-Za-z0-9_$]{64}|"(?:[^"]|""){64}/;

export function mayHoldLongName(text: string): boolean {
  return MAYBE_LONG.test(text);
}

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  if (!DEFINING.has(Object.keys(stmt.node)[0] ?? '')) return [];
  if (!mayHoldLongName(stmt.text)) return [];
  return longIdentifiers(stmt.text).map((name) => ({
    message: `Identifier "${name}" is ${Buffer.byteLength(name, 'utf8')} bytes; PostgreSQL silently truncates it to 63, so later migrations and Prisma look for a name that does not exist.`,
    help: "Shorten the name, for example with Prisma's map: argument.",
  }));
}

const LONG = 'x'.repeat(64);
export const examples: RuleExamples = {
  good: [
    'CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");',
    `SELECT '${LONG}';`,
    `CREATE TABLE "${'é'.repeat(31)}" (id int);`,
    `CREATE TABLE "${'a'.repeat(62)}""" (id int);`,
  ],
  bad: [
    `CREATE INDEX "${LONG}" ON "Post"("authorId");`,
    // 32 characters, 64 bytes in UTF-8; 63 letters and an escaped quote; 64 letters unquoted.
    `CREATE TABLE "${'é'.repeat(32)}" (id int);`,
    `CREATE TABLE "${'a'.repeat(63)}""" (id int);`,
    `CREATE TABLE ${'b'.repeat(64)} (id int);`,
    `ALTER TABLE "Post" ADD CONSTRAINT "${LONG}" FOREIGN KEY ("a") REFERENCES "User"("id") NOT VALID;`,
  ],
};
