/**
 * reviewSql / reviewPath behaviour: precision on Prisma's safe migrations, ignore directives,
 * parse errors, transaction conventions, folder reading and output formatting.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatReviewJson,
  formatReviewText,
  hasBlockingErrors,
  reviewMigrations,
  reviewPath,
  reviewSql,
} from '../../../src/migrations/review/index.js';
import { loadParser } from '../../../src/migrations/review/parse-sql.js';

beforeAll(() => loadParser());

const PRISMA_SAFE: Record<string, string> = {
  'create table with indexes and foreign keys': `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" VARCHAR(255) NOT NULL,
    "authorId" TEXT NOT NULL,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`,
  'create enum type': `-- CreateEnum\nCREATE TYPE "Status" AS ENUM ('DRAFT', 'PUBLISHED');\n`,
  'add nullable column': `-- AlterTable\nALTER TABLE "User" ADD COLUMN "bio" TEXT,\nADD COLUMN "age" INTEGER;\n`,
  'add column with constant default': `-- AlterTable\nALTER TABLE "User" ADD COLUMN "isActive" BOOLEAN NOT NULL DEFAULT true,\nADD COLUMN "plan" TEXT NOT NULL DEFAULT 'free',\nADD COLUMN "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;\n`,
  'create index concurrently alone': `-- CreateIndex\nCREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");\n`,
  'enum add value alone': `-- AlterEnum\nALTER TYPE "Role" ADD VALUE 'OWNER';\n`,
  'prisma enum recreation in a transaction': `-- AlterEnum
BEGIN;
CREATE TYPE "Role_new" AS ENUM ('USER', 'OWNER');
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
COMMIT;
`,
  'new table with not-valid fk to existing table': `CREATE TABLE "Comment" ("id" SERIAL NOT NULL, "postId" INTEGER NOT NULL, CONSTRAINT "Comment_pkey" PRIMARY KEY ("id"));\nALTER TABLE "Comment" ADD CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id") ON DELETE CASCADE ON UPDATE CASCADE;\n`,
};

describe('precision on Prisma-generated safe migrations', () => {
  it.each(Object.entries(PRISMA_SAFE))('%s has no warnings or errors', (_name, sql) => {
    const r = reviewSql(sql, { migration: 'safe' });
    expect(r.parsed).toBe(true);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

describe('findings', () => {
  it('carry position, statement, migration and table', () => {
    const sql =
      '-- AlterTable\nALTER TABLE "User" ADD COLUMN "x" INT;\n\n  CREATE INDEX "User_x_idx" ON "User"("x");\n';
    const r = reviewSql(sql, { migration: '20240102000000_x' });
    expect(r.findings).toEqual([
      expect.objectContaining({
        ruleId: 'create-index-non-concurrent',
        severity: 'warning',
        category: 'blocking-lock',
        migration: '20240102000000_x',
        statement: 'CREATE INDEX "User_x_idx" ON "User"("x")',
        line: 4,
        column: 3,
        table: '"User"',
      }),
    ]);
    expect(r.findings[0]?.message).toMatch(/SHARE lock on "User" \(blocks writes/);
  });

  it('positions statements correctly after non-ASCII text', () => {
    const r = reviewSql('-- Grüße ✓\nINSERT INTO t (a) VALUES (\'é\');\nDROP TABLE "Ärger";', {
      migration: 'm',
    });
    expect(r.findings[0]).toMatchObject({
      ruleId: 'drop-table',
      line: 3,
      column: 1,
      statement: 'DROP TABLE "Ärger"',
    });
  });
});

describe('ignore directives', () => {
  it('suppress the named rule on the next statement and keep it with the reason', () => {
    const sql =
      '-- drawbridge-ignore drop-column the column has been unused since v2\nALTER TABLE "User" DROP COLUMN "legacy";\n';
    const r = reviewSql(sql, { migration: 'm' });
    expect(r.findings).toEqual([]);
    expect(r.suppressed).toEqual([
      expect.objectContaining({
        ruleId: 'drop-column',
        reason: 'the column has been unused since v2',
        line: 2,
      }),
    ]);
  });

  it('report an ignore that suppresses nothing, and an unknown rule id', () => {
    const sql =
      '-- drawbridge-ignore drop-table not needed\nALTER TABLE "User" ADD COLUMN "x" INT;\n-- drawbridge-ignore no-such-rule why\nSELECT 1;';
    const r = reviewSql(sql, { migration: 'm' });
    expect(r.findings.map((f) => [f.ruleId, f.line])).toEqual([
      ['unused-ignore', 1],
      ['unused-ignore', 3],
    ]);
    expect(r.findings[1]?.message).toContain('not a Drawbridge rule');
  });

  it('only cover the rule named, not others on the same statement', () => {
    const sql =
      '-- drawbridge-ignore drop-column ok\nALTER TABLE "User" DROP COLUMN "a", ALTER COLUMN "b" TYPE BIGINT;';
    const r = reviewSql(sql, { migration: 'm' });
    expect(r.findings.map((f) => f.ruleId)).toEqual(['alter-column-type']);
    expect(r.suppressed.map((f) => f.ruleId)).toEqual(['drop-column']);
  });
});

describe('parse errors', () => {
  it('become a finding with the parser message and position, never a throw', () => {
    const r = reviewSql('CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN;\n', { migration: 'broken' });
    expect(r.parsed).toBe(false);
    expect(r.findings).toEqual([
      expect.objectContaining({
        ruleId: 'parse-error',
        severity: 'error',
        line: 2,
        column: 25,
        statement: 'ALTER TABLE a ADD COLUMN;',
      }),
    ]);
    expect(r.findings[0]?.message).toContain('syntax error at or near ";"');
  });

  it('handles empty files, comments only, and a missing final semicolon', () => {
    expect(reviewSql('', { migration: 'e' }).findings).toEqual([]);
    expect(reviewSql('-- This is an empty migration.', { migration: 'e' }).findings).toEqual([]);
    expect(reviewSql('DROP TABLE "X"', { migration: 'e' }).findings[0]?.ruleId).toBe('drop-table');
  });
});

describe('transaction conventions', () => {
  it('treat an explicit COMMIT as the end of a transaction', () => {
    const same =
      'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;';
    expect(reviewSql(same, { migration: 'm' }).findings.map((f) => f.ruleId)).toContain(
      'validate-in-same-transaction',
    );
    const split =
      'BEGIN;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nCOMMIT;\nALTER TABLE t VALIDATE CONSTRAINT c;';
    expect(reviewSql(split, { migration: 'm' }).findings.map((f) => f.ruleId)).not.toContain(
      'validate-in-same-transaction',
    );
  });

  it('accept SET NOT NULL after a check validated by an earlier migration', async () => {
    const report = await reviewMigrations([
      { name: '1_add', sql: 'ALTER TABLE "User" ADD CONSTRAINT "nn" CHECK ("email" IS NOT NULL) NOT VALID;' },
      { name: '2_validate', sql: 'ALTER TABLE "User" VALIDATE CONSTRAINT "nn";' },
      { name: '3_set', sql: 'ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;' },
    ]);
    expect(report.results.flatMap((r) => r.findings.map((f) => f.ruleId))).toEqual([]);
  });
});

describe('reviewPath and output', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'review-'));
    const write = async (name: string, sql: string): Promise<void> => {
      await mkdir(join(dir, 'migrations', name), { recursive: true });
      await writeFile(join(dir, 'migrations', name, 'migration.sql'), sql);
    };
    await write(
      '20240201000000_b',
      '-- drawbridge-ignore drop-table archived in ticket 12\nDROP TABLE "Old";',
    );
    await write('20240101000000_a', 'CREATE TABLE "User" ("id" TEXT NOT NULL);');
    await write('20240301000000_c', 'ALTER TABLE "Post" ADD COLUMN "x" UUID DEFAULT gen_random_uuid();');
    await writeFile(join(dir, 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n');
    await writeFile(join(dir, 'one.sql'), 'CREATE INDEX CONCURRENTLY "i" ON "Post"("a");');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a migrations folder in byte order and a single file', async () => {
    const report = await reviewPath(join(dir, 'migrations'));
    expect(report.results.map((r) => r.migration)).toEqual([
      '20240101000000_a',
      '20240201000000_b',
      '20240301000000_c',
    ]);
    expect(report.summary).toEqual({ error: 1, warning: 0, info: 0, suppressed: 1 });
    expect(hasBlockingErrors(report)).toBe(true);
    const single = await reviewPath(join(dir, 'one.sql'));
    expect(single.results).toEqual([expect.objectContaining({ migration: 'one.sql', findings: [] })]);
    expect(hasBlockingErrors(single)).toBe(false);
  });

  it('formats text and JSON', async () => {
    const report = await reviewPath(join(dir, 'migrations'));
    const text = formatReviewText(report);
    expect(text).toContain('ERROR add-column-volatile-default at 20240301000000_c:1:1 ("Post")');
    expect(text).toContain('reason: archived in ticket 12');
    expect(text).toContain('Impact estimate: no database given');
    expect(text).toContain('1 error(s), 0 warning(s), 0 info, 1 suppressed');
    expect(JSON.parse(formatReviewJson(report))).toEqual(report);
  });

  it('throws a coded error for a path that does not exist', async () => {
    await expect(reviewPath(join(dir, 'nope'))).rejects.toMatchObject({ code: 'REVIEW_PATH' });
  });
});
