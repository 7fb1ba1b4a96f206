/**
 * Prisma 8 projects (TypeScript migrations applied by `prisma db migrate`) keep their migrations in a
 * different layout: each migration is a package under `migrations/app/<name>/` holding `migration.ts`
 * (what people edit), `ops.json` (the compiled operations the runner executes) and `migration.json`
 * (its metadata and hash), next to `contract.prisma` and a `prisma.config.ts` built with
 * `definePrismaConfig`. Drawbridge's native engine reads Prisma 5–7 folders (`<name>/migration.sql`),
 * so a Prisma 8 folder must be refused with a clear word instead of read as "every migration is
 * missing its migration.sql".
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { refusal, type Refusal } from '../base/errors.js';

/** Why a folder looks like a Prisma 8 project: one short phrase per finding. */
export interface Prisma8Layout {
  readonly evidence: readonly string[];
}

/** Files of a Prisma 8 migration package; `migration.sql` is Prisma 5–7's. */
const PACKAGE_FILES = ['migration.ts', 'ops.json', 'migration.json'];

/** What one listing of a migration directory says, pure: the Prisma 8 files it holds without `migration.sql`. */
export function prisma8PackageFiles(files: readonly string[]): string[] {
  if (files.includes('migration.sql')) return [];
  return PACKAGE_FILES.filter((f) => files.includes(f));
}

/** A `prisma.config.ts` of Prisma 8 (`definePrismaConfig`, the `@prisma/orm-*` packages). Pure. */
export function isPrisma8Config(text: string): boolean {
  return /\bdefinePrismaConfig\b|@prisma\/orm-(postgres|sqlite|mongo)\b|prisma-next/.test(text);
}

/** Synchronous: one listing per migration directory; through the thread pool it cost ~0.2 s per 820. */
function list(dir: string): { dirs: string[]; files: string[] } {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return {
      dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name),
      files: entries.filter((e) => e.isFile()).map((e) => e.name),
    };
  } catch {
    return { dirs: [], files: [] };
  }
}

/**
 * The migration packages of `dir` (and of `dir/app`, Prisma 8's folder for the project's own).
 * `withSql`: directories of `dir` already known to hold a migration.sql file, which are no package
 * and are not listed again.
 */
async function packageEvidence(dir: string, withSql: ReadonlySet<string>): Promise<string[]> {
  const top = list(dir);
  const candidates = top.dirs
    .filter((d) => !withSql.has(d))
    .map((d) => ({ path: join(dir, d), label: `${d}/` }));
  if (top.dirs.includes('app')) {
    const app = list(join(dir, 'app'));
    candidates.push(...app.dirs.map((d) => ({ path: join(dir, 'app', d), label: `app/${d}/` })));
  }
  for (const c of candidates) {
    const found = prisma8PackageFiles(list(c.path).files);
    if (found.length > 0) return [`${c.label} holds ${found.join(' and ')} and no migration.sql`];
  }
  return [];
}

/** `prisma.config.ts` / `contract.prisma` next to the folder or one level up. */
async function projectEvidence(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const where of [dirname(dir), dirname(dirname(dir))]) {
    const config = await readFile(join(where, 'prisma.config.ts'), 'utf8').catch(() => undefined);
    if (config !== undefined && isPrisma8Config(config))
      out.push(`${join(where, 'prisma.config.ts')} uses Prisma 8's definePrismaConfig`);
    const files = list(where).files;
    if (files.includes('contract.prisma')) out.push(`${join(where, 'contract.prisma')} exists`);
    if (out.length > 0) break;
  }
  return out;
}

/**
 * Looks at a migrations directory: a Prisma 8 migration package in it, or a Prisma 8 project around
 * it. Undefined for a Prisma 5–7 folder (or a missing one). Never throws. `withSql` names the
 * directories the caller has just read a migration.sql file from (folder.ts): a Prisma 5–7 folder
 * of 820 migrations is then not listed a second time, directory by directory.
 */
export async function detectPrisma8Layout(
  dir: string,
  withSql: ReadonlySet<string> = new Set(),
): Promise<Prisma8Layout | undefined> {
  const evidence = [...(await packageEvidence(dir, withSql)), ...(await projectEvidence(dir))];
  return evidence.length > 0 ? { evidence } : undefined;
}

/** The sentence every front end shows. Pure. */
export function prisma8Message(layout: Prisma8Layout): string {
  return `This looks like a Prisma 8 project (${layout.evidence.join('; ')}); Drawbridge's native engine serves Prisma 5–7 migration folders.`;
}

/** The refusal of status, plan and deploy on a Prisma 8 folder. Pure. */
export function prisma8Refusal(layout: Prisma8Layout | undefined): Refusal | undefined {
  if (!layout) return undefined;
  return refusal(
    'PRISMA8_LAYOUT',
    prisma8Message(layout),
    "Apply its migrations with Prisma 8 (`prisma db migrate`), or point the environment's `migrations` at a Prisma 5–7 folder (one directory per migration holding migration.sql).",
  );
}
