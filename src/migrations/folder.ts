/**
 * Reads a Prisma migrations directory the way `prisma migrate` lists it: every subdirectory is a
 * migration (symlinks are not followed), named by its directory, holding `migration.sql`.
 * Order is byte-wise by the whole name (Prisma ≤ 6.5); names whose order would differ under
 * Prisma ≥ 6.6's `localeCompare` are reported as a problem.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checksumOf } from './checksum.js';
import { sortNamesBytewise } from './name-order.js';
import { detectPrisma8Layout, type Prisma8Layout } from './prisma8-layout.js';

/** Why a migration's `migration.sql` cannot be used. */
export interface MigrationProblem {
  code: 'missing_sql' | 'invalid_utf8' | 'unreadable';
  message: string;
}

/** One migration directory. `checksum` and `script` are set when `migration.sql` is readable UTF-8. */
export interface MigrationEntry {
  /** Directory basename, verbatim: this is `_prisma_migrations.migration_name`. */
  name: string;
  /** Absolute or caller-relative path of the directory. */
  dir: string;
  /** Prisma's checksum of the raw file bytes (BOM and CRLF kept). */
  checksum?: string;
  /** The file decoded as UTF-8, BOM kept, exactly what Prisma sends to the server. */
  script?: string;
  problem?: MigrationProblem;
}

/** A migrations directory as read. */
export interface MigrationsFolder {
  dir: string;
  /** False when the directory does not exist (Prisma treats that as "no migrations"). */
  exists: boolean;
  /** In apply order. */
  migrations: MigrationEntry[];
  /** The `provider` value of `migration_lock.toml` parsed as Prisma does; undefined when the file is absent. */
  lockProvider?: string;
  /** Things a person should know about the folder itself (ordering ambiguity, skipped symlinks). */
  problems: string[];
  /** Set when the folder is a Prisma 8 project's (prisma8-layout.ts): status, plan and deploy refuse it. */
  prisma8?: Prisma8Layout;
}

/** Parses `migration_lock.toml` like Prisma: first line starting with `provider`, prefix and quotes stripped. */
export function parseLockProvider(text: string): string {
  const line = text.split('\n').find((l) => l.startsWith('provider'));
  if (line === undefined) return '<PROVIDER NOT FOUND>';
  const value = line.replace(/\r$/, '');
  const stripped = value.startsWith('provider = ') ? value.slice('provider = '.length) : value;
  return stripped.replace(/^"+|"+$/g, '');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

async function readEntry(parent: string, name: string): Promise<MigrationEntry> {
  const dir = join(parent, name);
  const file = join(dir, 'migration.sql');
  let bytes: Buffer;
  try {
    // Synchronous: hundreds of small files, each read whole; fs/promises pays an open, an fstat and a
    // close through the thread pool per file, several times the read itself.
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') {
      return {
        name,
        dir,
        problem: {
          code: 'missing_sql',
          message: `Could not find the migration file at ${file}. Please delete the directory or restore the migration file.`,
        },
      };
    }
    return { name, dir, problem: { code: 'unreadable', message: `Cannot read ${file}: ${String(err)}` } };
  }
  try {
    return { name, dir, checksum: checksumOf(bytes), script: utf8.decode(bytes) };
  } catch {
    return {
      name,
      dir,
      checksum: checksumOf(bytes),
      problem: { code: 'invalid_utf8', message: `${file} is not valid UTF-8; Prisma cannot read it either.` },
    };
  }
}

/**
 * True when two names first differ at a position holding a digit in both (timestamps that differ):
 * everything before is the same, and digits weigh in the same order in bytes and in the locale, so
 * both orders agree on the pair without asking the locale (whose collator takes milliseconds to set up).
 */
function digitsDecide(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  return x >= 48 && x <= 57 && y >= 48 && y <= 57;
}

/**
 * `names` in byte order; a problem when the locale order differs. The byte-ordered list is already in
 * locale order when each name sorts no later than the next (a sort keeps equal names in place), so
 * only neighbours are compared, and the full locale sort is only made to show a difference.
 */
function orderingProblems(names: string[]): string[] {
  let collator: Intl.Collator | undefined;
  const inLocaleOrder = (a: string, b: string): boolean =>
    digitsDecide(a, b) || (collator ??= new Intl.Collator()).compare(a, b) <= 0;
  if (names.every((n, i) => i === 0 || inLocaleOrder(names[i - 1] as string, n))) return [];
  const icu = [...names].sort((a, b) => a.localeCompare(b));
  return [
    'Directory names sort differently byte-wise (Prisma ≤ 6.5, Drawbridge) and by locale (Prisma ≥ 6.6): ' +
      `byte order ${names.join(', ')}; locale order ${icu.join(', ')}. Rename them to fixed-width timestamps.`,
  ];
}

/** Reads the directory. Never throws for a missing directory or a bad migration; those are reported. */
export async function readMigrationsFolder(dir: string): Promise<MigrationsFolder> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return {
        dir,
        exists: false,
        migrations: [],
        problems: [`Migrations directory ${dir} does not exist.`],
      };
    }
    throw err;
  }
  const problems: string[] = [];
  for (const e of entries) {
    if (e.isSymbolicLink())
      problems.push(`${e.name} is a symbolic link; Prisma skips it, so does Drawbridge.`);
  }
  const names = sortNamesBytewise(entries.filter((e) => e.isDirectory()).map((e) => e.name));
  problems.push(...orderingProblems(names));
  const migrations = await Promise.all(names.map((n) => readEntry(dir, n)));
  let lockProvider: string | undefined;
  try {
    lockProvider = parseLockProvider(await readFile(join(dir, 'migration_lock.toml'), 'utf8'));
  } catch {
    lockProvider = undefined;
  }
  // A directory whose migration.sql exists (read or not) is no Prisma 8 package.
  const withSql = new Set(migrations.filter((m) => m.problem?.code !== 'missing_sql').map((m) => m.name));
  const prisma8 = await detectPrisma8Layout(dir, withSql);
  const folder: MigrationsFolder = { dir, exists: true, migrations, problems };
  if (lockProvider !== undefined) folder.lockProvider = lockProvider;
  if (prisma8) folder.prisma8 = prisma8;
  return folder;
}
