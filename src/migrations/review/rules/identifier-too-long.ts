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
 * Identifiers written in the statement text. The parser has already truncated long names to 63
 * bytes, so the check reads the source: quoted identifiers and bare words, skipping string
 * literals, dollar-quoted bodies and comments.
 */
function identifiersInText(sql: string): string[] {
  const out: string[] = [];
  const re =
    /'(?:[^']|'')*'|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|--[^\n]*|\/\*[\s\S]*?\*\/|"((?:[^"]|"")*)"|([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)/g;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    if (m[2] !== undefined) out.push(m[2].replace(/""/g, '"'));
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}

/**
 * Whether the text could hold an identifier over 63 bytes. In ASCII text a byte is a character, so
 * such an identifier is a run of at least 64, bare or between double quotes (`""` counts once); text
 * with any other character is always scanned. Most statements have neither and skip the scan below.
 */
const MAYBE_LONG = /[^\0-\x7f]|[A-Za-z0-9_$]{64}|"(?:[^"]|""){64}/;

export function check(stmt: ParsedStatement, _ctx: FileContext): RuleHit[] {
  if (!DEFINING.has(Object.keys(stmt.node)[0] ?? '')) return [];
  if (!MAYBE_LONG.test(stmt.text)) return [];
  const long = [...new Set(identifiersInText(stmt.text))].filter((n) => Buffer.byteLength(n, 'utf8') > 63);
  return long.map((name) => ({
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
