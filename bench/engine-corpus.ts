/**
 * Synthetic Prisma-style migrations corpus for the engine benchmark: several hundred directories
 * with the shapes real histories have (create table, add column, index, foreign key, enum, seed rows).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function stamp(i: number): string {
  const d = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function migrationSql(i: number): string {
  const t = `t_${Math.floor(i / 5)}`;
  switch (i % 5) {
    case 0:
      return `-- CreateTable\nCREATE TABLE "${t}" (\n    "id" SERIAL NOT NULL,\n    "name" TEXT NOT NULL,\n    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\n    CONSTRAINT "${t}_pkey" PRIMARY KEY ("id")\n);\n`;
    case 1:
      return `-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "email" TEXT,\nADD COLUMN "score" INTEGER NOT NULL DEFAULT 0;\n\n-- CreateIndex\nCREATE UNIQUE INDEX "${t}_email_key" ON "${t}"("email");\n`;
    case 2:
      return `-- CreateEnum\nCREATE TYPE "${t}_kind" AS ENUM ('A', 'B', 'C');\n\n-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "kind" "${t}_kind" NOT NULL DEFAULT 'A';\n`;
    case 3:
      return `INSERT INTO "${t}" ("name", "email") SELECT 'row ' || g, 'u' || g || '@example.com' FROM generate_series(1, 50) g;\n`;
    default: {
      const parent = i >= 9 ? `t_${Math.floor(i / 5) - 1}` : t;
      return `-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "parentId" INTEGER;\n\n-- AddForeignKey\nALTER TABLE "${t}" ADD CONSTRAINT "${t}_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "${parent}"("id") ON DELETE SET NULL ON UPDATE CASCADE;\n`;
    }
  }
}

/** Writes `count` migrations into a new temporary directory and returns its path. */
export function generateCorpus(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-corpus-'));
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  for (let i = 0; i < count; i += 1) {
    const name = `${stamp(i)}_m${String(i).padStart(4, '0')}`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), migrationSql(i));
  }
  return dir;
}
