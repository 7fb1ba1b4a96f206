/**
 * The review runs a rule only on the statement kinds it declares (`statements` in its module). This
 * checks that the declarations lose nothing: every rule is run directly on every statement of every
 * example, fixture and a list of statements of many other kinds, and must find nothing on a kind it
 * does not declare; and a whole review with the declarations gives exactly the review without them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RULES } from '../../../src/migrations/review/all-rules.js';
import { loadParser, parseMigrationSql } from '../../../src/migrations/review/parse-sql.js';
import { analyzeSql } from '../../../src/migrations/review/review-sql.js';
import { FileContext, type RuleModule } from '../../../src/migrations/review/rule.js';

beforeAll(() => loadParser());

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sqlFiles(join(dir, e.name))
      : e.name.endsWith('.sql')
        ? [readFileSync(join(dir, e.name), 'utf8')]
        : [],
  );
}

/** Statements of kinds no rule declares, and of declared kinds in forms the examples do not show. */
const OTHER_KINDS = `
CREATE TABLE "A" (id int PRIMARY KEY, id2 int, CONSTRAINT a_id2 UNIQUE (id2));
CREATE TABLE "B" AS SELECT 1 AS x;
CREATE VIEW v AS SELECT 1;
CREATE MATERIALIZED VIEW mv AS SELECT 1;
CREATE SEQUENCE s;
CREATE SCHEMA sc;
CREATE TYPE mood AS ENUM ('a', 'b');
ALTER TYPE mood ADD VALUE 'c';
ALTER TYPE mood RENAME VALUE 'a' TO 'z';
CREATE TYPE pair AS (a int, b int);
CREATE DOMAIN d AS int CHECK (VALUE > 0);
ALTER DOMAIN d ADD CONSTRAINT pos CHECK (VALUE > 0);
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TRIGGER t BEFORE INSERT ON "A" FOR EACH ROW EXECUTE FUNCTION f();
DO $$ BEGIN PERFORM 1; END $$;
COMMENT ON TABLE "A" IS 'x';
GRANT SELECT ON "A" TO PUBLIC;
REVOKE SELECT ON "A" FROM PUBLIC;
SET lock_timeout = '1s';
SELECT pg_sleep(0);
INSERT INTO "A" (id, id) VALUES (1, 1);
UPDATE "A" SET id = 1, id = 2;
DELETE FROM "A";
TRUNCATE "A" CASCADE;
LOCK TABLE "A" IN ACCESS EXCLUSIVE MODE;
VACUUM FULL "A";
CLUSTER "A" USING a_id2;
ANALYZE "A";
REINDEX TABLE "A";
REFRESH MATERIALIZED VIEW mv;
ALTER TABLE "A" RENAME COLUMN id2 TO id3;
ALTER TABLE "A" RENAME TO "C";
ALTER SCHEMA sc RENAME TO sc2;
ALTER INDEX a_id2 RENAME TO a_id3;
ALTER VIEW v RENAME TO v2;
ALTER SEQUENCE s RESTART;
ALTER TABLE "C" ADD COLUMN j json, ADD COLUMN n int NOT NULL, ALTER COLUMN id3 SET NOT NULL;
ALTER TABLE "C" SET (autovacuum_enabled = false);
ALTER TABLE "C" DROP COLUMN j CASCADE;
CREATE INDEX ON "C" (id3);
DROP INDEX a_id3;
DROP VIEW v2 CASCADE;
DROP TABLE "C";
DROP SCHEMA sc2 CASCADE;
DROP TYPE mood;
DROP SEQUENCE s;
DROP FUNCTION f();
CREATE DATABASE other;
DROP DATABASE other;
ALTER SYSTEM SET work_mem = '8MB';
CREATE TABLESPACE ts LOCATION '/tmp/ts';
`;

const corpus: string[] = [
  ...DEFAULT_RULES.flatMap((r) => [...r.examples.good, ...r.examples.bad]),
  ...sqlFiles(fixtures),
  OTHER_KINDS,
  // The same, one statement per file (a statement alone behaves differently for some rules).
  ...OTHER_KINDS.split(';\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => `${s};\n`),
];

const kindOf = (node: object): string => Object.keys(node)[0] ?? '';

describe('rule dispatch by statement kind', () => {
  it('has a corpus of many statement kinds that parse', () => {
    const kinds = new Set<string>();
    for (const sql of corpus) {
      const parsed = parseMigrationSql(sql);
      if (parsed.ok) for (const s of parsed.statements) kinds.add(kindOf(s.node));
    }
    expect(kinds.size).toBeGreaterThan(35);
    // Every declared kind occurs in the corpus, so each declaration is exercised.
    for (const rule of DEFAULT_RULES)
      for (const kind of rule.statements ?? [])
        expect([rule.meta.id, kinds.has(kind)]).toEqual([rule.meta.id, true]);
  });

  it('declares kinds that are parse-node types, for all but the rules that read every statement', () => {
    const undeclared = DEFAULT_RULES.filter((r) => !r.statements).map((r) => r.meta.id);
    expect(undeclared).toEqual(['enum-value-used-before-commit']);
    for (const rule of DEFAULT_RULES)
      for (const kind of rule.statements ?? []) expect(kind).toMatch(/^[A-Z][A-Za-z]+Stmt$/);
  });

  it('finds nothing with a rule on a statement of a kind it does not declare', () => {
    const missed: string[] = [];
    for (const sql of corpus) {
      const parsed = parseMigrationSql(sql);
      if (!parsed.ok) continue;
      // A context where nothing is new, and one as the file really is.
      for (const ctx of [new FileContext(parsed.statements), new FileContext([])]) {
        for (const stmt of parsed.statements) {
          const kind = kindOf(stmt.node);
          for (const rule of DEFAULT_RULES) {
            if (!rule.statements || rule.statements.includes(kind)) continue;
            let hits;
            try {
              hits = rule.check(stmt, ctx);
            } catch {
              hits = [];
            }
            if (hits.length > 0) missed.push(`${rule.meta.id} on ${kind}: ${stmt.text.slice(0, 80)}`);
          }
        }
      }
    }
    expect(missed).toEqual([]);
  });

  it('gives exactly the review it gives without the declarations', () => {
    const everyStatement: RuleModule[] = DEFAULT_RULES.map((r) => ({
      meta: r.meta,
      check: r.check,
      examples: r.examples,
    }));
    let findings = 0;
    for (const [i, sql] of corpus.entries()) {
      const migration = `m${i}`;
      const dispatched = analyzeSql(sql, { migration }).result;
      const all = analyzeSql(sql, { migration, rules: everyStatement }).result;
      expect(dispatched).toEqual(all);
      findings += all.findings.length;
    }
    expect(findings).toBeGreaterThan(100);
  });
});
