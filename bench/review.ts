/**
 * Review benchmark (not a timed test): the Drawbridge SQL review and squawk-cli on the same migration
 * files, side by side in one run. Default corpus: 500+ synthetic Prisma-style migrations generated
 * here; `--corpus DIR` takes a Prisma migrations folder (or a folder of .sql files) instead.
 *
 * Run alone: `tsx bench/review.ts [--corpus DIR]`; with the others: `npm run bench`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';

/**
 * squawk-cli is not a project dependency: its package lists platform binaries that the registry
 * mirror here does not all serve, which would break `npm ci`. The benchmark installs the pinned
 * version on first use into a tools folder outside the project's lock file.
 */
const SQUAWK_VERSION = '2.66.0';
const TOOLS = fileURLToPath(new URL('../node_modules/.cache/drawbridge-bench-tools', import.meta.url));

export async function squawkBinary(): Promise<string> {
  const bin = join(TOOLS, 'node_modules', '.bin', 'squawk');
  if (!existsSync(bin)) {
    mkdirSync(TOOLS, { recursive: true });
    writeFileSync(join(TOOLS, 'package.json'), '{"private":true}\n');
    await execa('npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefix',
      TOOLS,
      `squawk-cli@${SQUAWK_VERSION}`,
    ]);
  }
  return bin;
}
const RUNS = 5;
const DEFAULT_COUNT = 520;

function stamp(i: number): string {
  const d = new Date(Date.UTC(2023, 0, 1) + i * 3_600_000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** One synthetic migration in the shapes Prisma emits, mostly safe, some risky, like real histories. */
function migrationSql(i: number): string {
  const t = `Model${Math.floor(i / 10)}`;
  const prev = `Model${Math.max(0, Math.floor(i / 10) - 1)}`;
  switch (i % 10) {
    case 0:
      return `-- CreateEnum\nCREATE TYPE "${t}Status" AS ENUM ('DRAFT', 'ACTIVE', 'ARCHIVED');\n\n-- CreateTable\nCREATE TABLE "${t}" (\n    "id" TEXT NOT NULL,\n    "name" TEXT NOT NULL,\n    "email" TEXT,\n    "status" "${t}Status" NOT NULL DEFAULT 'DRAFT',\n    "ownerId" TEXT,\n    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    "updatedAt" TIMESTAMP(3) NOT NULL,\n\n    CONSTRAINT "${t}_pkey" PRIMARY KEY ("id")\n);\n\n-- CreateIndex\nCREATE UNIQUE INDEX "${t}_email_key" ON "${t}"("email");\n\n-- CreateIndex\nCREATE INDEX "${t}_ownerId_idx" ON "${t}"("ownerId");\n\n-- AddForeignKey\nALTER TABLE "${t}" ADD CONSTRAINT "${t}_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "${prev}"("id") ON DELETE SET NULL ON UPDATE CASCADE;\n`;
    case 1:
      return `-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "bio" TEXT,\nADD COLUMN "score" INTEGER NOT NULL DEFAULT 0;\n`;
    case 2:
      return `-- CreateIndex\nCREATE INDEX CONCURRENTLY "${t}_name_idx" ON "${t}"("name");\n`;
    case 3:
      return `-- AlterEnum\nALTER TYPE "${t}Status" ADD VALUE 'DELETED';\n`;
    case 4:
      return `-- CreateIndex\nCREATE INDEX "${t}_createdAt_idx" ON "${t}"("createdAt");\n`;
    case 5:
      return `-- AlterTable\nALTER TABLE "${t}" DROP COLUMN "bio",\nADD COLUMN "about" TEXT;\n`;
    case 6:
      return `-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "email" SET NOT NULL;\n\n-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3);\n`;
    case 7:
      return `-- Backfill\nUPDATE "${t}" SET "score" = 1 WHERE "score" = 0;\nINSERT INTO "${t}" ("id", "name", "updatedAt") VALUES ('seed-${i}', 'Seed', CURRENT_TIMESTAMP);\n`;
    case 8:
      return `-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "token" UUID NOT NULL DEFAULT gen_random_uuid();\n\n-- AddForeignKey\nALTER TABLE "${t}" ADD CONSTRAINT "${t}_prev_fkey" FOREIGN KEY ("ownerId") REFERENCES "${prev}"("id") ON DELETE RESTRICT ON UPDATE CASCADE;\n`;
    default:
      return `-- RenameIndex\nALTER INDEX "${t}_name_idx" RENAME TO "${t}_name_search_idx";\n\n-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "status" DROP DEFAULT;\n`;
  }
}

/** Writes `count` migrations as a Prisma folder in a new temporary directory. */
export function generateReviewCorpus(count = DEFAULT_COUNT): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-review-corpus-'));
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (let i = 0; i < count; i += 1) {
    const name = `${stamp(i)}_m${String(i).padStart(4, '0')}`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), migrationSql(i));
  }
  return dir;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ')).join('\n');
}

/** Reviews the corpus with Drawbridge and with squawk, and returns the printed comparison table. */
export async function benchReview(opts: { corpus?: string }): Promise<string> {
  const generated = opts.corpus ? undefined : generateReviewCorpus();
  const dir = opts.corpus ?? (generated as string);
  try {
    const loadStart = performance.now();
    const review = await import('../src/migrations/review/index.js');
    const loadMs = performance.now() - loadStart;
    const entries = await review.readMigrationsPath(dir);
    const files = entries.map((e) =>
      e.name.endsWith('.sql') ? join(dir, e.name) : join(dir, e.name, 'migration.sql'),
    );

    const ours: number[] = [];
    let findings = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const start = performance.now();
      const report = await review.reviewPath(dir);
      ours.push(performance.now() - start);
      findings = report.summary.error + report.summary.warning + report.summary.info;
    }
    const SQUAWK = await squawkBinary();
    const squawk: number[] = [];
    let squawkFindings = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const start = performance.now();
      const res = await execa(SQUAWK, ['--reporter', 'json', '--pg-version', '15.0', ...files], {
        reject: false,
      });
      squawk.push(performance.now() - start);
      if (res.exitCode !== 0 && res.exitCode !== 1)
        throw new Error(`squawk failed (${res.exitCode}): ${res.stderr}`);
      squawkFindings = (JSON.parse(res.stdout || '[]') as unknown[]).length;
    }
    const o = median(ours);
    const s = median(squawk);
    const n = entries.length;
    const rows = [
      ['tool', 'total ms (median of 5)', 'ms/file', 'findings', 'ratio vs squawk'],
      [
        'drawbridge review (in-process, parse + 43 rules)',
        o.toFixed(1),
        (o / n).toFixed(3),
        String(findings),
        (o / s).toFixed(2),
      ],
      [
        'squawk-cli 2.66 (one process, all files)',
        s.toFixed(1),
        (s / n).toFixed(3),
        String(squawkFindings),
        '1.00',
      ],
    ];
    const source = opts.corpus ?? `synthetic corpus (${n} Prisma-style migrations, generated)`;
    return [
      `Review benchmark — ${n} migration files from ${source}; ${RUNS} runs each, median`,
      table(rows),
      `Parser + rules module load (once, before timing, includes WASM init): ${loadMs.toFixed(0)} ms`,
      `Target: drawbridge ≤ 2× squawk → ${o / s <= 2 ? 'met' : 'NOT met'} (${(o / s).toFixed(2)}×)`,
      '',
    ].join('\n');
  } finally {
    if (generated) rmSync(generated, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--corpus');
  const corpus = i > 0 ? process.argv[i + 1] : undefined;
  process.stdout.write(await benchReview(corpus ? { corpus } : {}));
}
