/**
 * The `drawbridge` bin (bundled by scripts/bundle-cli.ts into dist/cli/drawbridge.cjs): loads the
 * command line, dist/cli/cli.cjs (src/cli/main.ts and everything it reaches, one CommonJS script),
 * with V8's code cache for it, dist/cli/cli.cjs.cache, and runs it.
 *
 * Why a code cache: a CLI command is a short process, and compiling its JavaScript is a large part of
 * it (V8 compiles each function the first time it runs). The build runs the commands once (--help,
 * review, status and deploy up to the database connection; `trainCodeCache` below) in one process and
 * keeps V8's compiled code for every function they ran; each later process starts from that code
 * instead of compiling it again. Node 20 offers this for classic scripts only (`vm.Script`'s
 * `cachedData`; ES modules have no such option before Node 22's module.enableCompileCache), which is
 * why the CLI is one CommonJS script. v8-compile-cache does the same for `require`, but it keeps the
 * code compiled when a file loads, which is little more than its top level, not the functions a
 * command runs.
 *
 * The cache is used only for the exact bytes it was made from: it starts with the SHA-256 of cli.cjs
 * and is ignored when that differs (V8 itself checks only the script's length, its own version and
 * its flags, and rejects the cache on a mismatch of those). A missing or rejected cache only costs
 * time: the script is then compiled as any other.
 *
 * `--liftoff-only` is set before anything is compiled, in every CLI process: the flags are part of
 * what V8 checks, so the process that makes the cache and the ones that use it must agree. It governs
 * WebAssembly only (the SQL parser): a short process compiles the functions the parser calls, once,
 * with the baseline compiler (about half the time and 40 MiB less than V8's default over 820 files).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

import type { CliIo } from '../src/cli/output.js';

/** What cli.cjs exports (src/cli/main.ts). */
type CliModule = Pick<typeof import('../src/cli/main.js'), 'cliMain' | 'runCli'>;

export interface LoadedCli extends CliModule {
  /** True when the code cache was read and V8 accepted it. */
  readonly cacheUsed: boolean;
  readonly script: Script;
  readonly sourceHash: Buffer;
}

export const BUNDLE_FILE = 'cli.cjs';
const HASH_BYTES = 32;

/**
 * One code cache per kind of command, each made by running only those commands: a process reads the
 * compiled code of what it will run, not of every command (the cache of every command together is
 * about 1.2 MB, and reading it costs a review or `--help` more than it saves them). A command with no
 * cache of its own uses `help`'s, which holds at least the script's top level.
 */
export const CACHED_COMMANDS = ['help', 'review', 'status', 'deploy'] as const;
export type CacheName = (typeof CACHED_COMMANDS)[number];

export const cacheFile = (name: CacheName): string => `${BUNDLE_FILE}.${name}.cache`;

/** The cache for a command line: its first word that is not an option names the command. */
export function cacheFor(argv: readonly string[]): CacheName {
  const command = argv.find((a) => !a.startsWith('-'));
  return (CACHED_COMMANDS as readonly string[]).includes(command ?? '') ? (command as CacheName) : 'help';
}

/** Loads cli.cjs from `dir`, with the named code cache (none when `cache` is undefined). */
export function loadCli(dir: string, cache: CacheName | undefined): LoadedCli {
  setFlagsFromString('--liftoff-only');
  const file = join(dir, BUNDLE_FILE);
  const bytes = readFileSync(file);
  const sourceHash = createHash('sha256').update(bytes).digest();
  const cachedData = cache ? readCache(join(dir, cacheFile(cache)), sourceHash) : undefined;
  // The same wrapper as Node's own for a CommonJS file, on the script's first line; a `#!` line
  // becomes a comment, as Node's loader makes it.
  const text = bytes.toString('utf8');
  const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as CliModule };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(file),
    module,
    file,
    dir,
  );
  const { cliMain, runCli } = module.exports;
  return {
    cliMain,
    runCli,
    cacheUsed: cachedData !== undefined && script.cachedDataRejected !== true,
    script,
    sourceHash,
  };
}

/** The V8 data of the cache file when it was made from these exact bytes; otherwise undefined. */
function readCache(path: string, sourceHash: Buffer): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  if (data.length <= HASH_BYTES || !data.subarray(0, HASH_BYTES).equals(sourceHash)) return undefined;
  return data.subarray(HASH_BYTES);
}

const silent: CliIo = { out: () => undefined, err: () => undefined, errIsTTY: false };

/** Migrations of the usual shapes, for the review the training runs (and, unapplied, for deploy). */
const TRAINING_MIGRATIONS: Record<string, string> = {
  '20240101000000_init': `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "role" "Role" NOT NULL DEFAULT 'USER',
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`,
  '20240102000000_posts': `CREATE TABLE "Post" ("id" SERIAL NOT NULL, "authorId" INTEGER NOT NULL, "data" JSONB,
  CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
`,
  '20240103000000_changes': `ALTER TYPE "Role" ADD VALUE 'OWNER';
ALTER TABLE "User" ADD COLUMN "name" TEXT, ADD COLUMN "age" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;
ALTER TABLE "Post" DROP COLUMN "data";
UPDATE "User" SET "name" = 'x' WHERE "name" IS NULL;
DROP INDEX "Post_authorId_idx";
ALTER TABLE "User" RENAME COLUMN "age" TO "years";
`,
  '20240104000000_concurrently': `-- drawbridge-ignore create-index-non-concurrent example
CREATE INDEX CONCURRENTLY "User_name_idx" ON "User"("name");
`,
};

/** What each cache is made from (`train` is the configured environment). */
const TRAINING: Record<CacheName, (migrations: string) => string[][]> = {
  help: () => [['--help'], ['no-such-command']],
  review: (migrations) => [
    ['review', migrations],
    ['review', '--json', migrations],
  ],
  status: () => [['status', '--env', 'train']],
  deploy: () => [['deploy', '--env', 'train', '--yes']],
};

/**
 * Runs one kind of command in this process (output discarded) and writes its code cache beside
 * cli.cjs. `examples` are more migrations to read (the build gives every review rule's examples, so
 * that the review's cache holds every rule). The database of the training configuration does not listen (port 1 on loopback), so status
 * and deploy run up to their connection and stop; nothing beyond loopback is touched.
 */
export async function trainCodeCache(
  dir: string,
  name: CacheName,
  examples: readonly string[] = [],
): Promise<{ cacheBytes: number }> {
  const cli = loadCli(dir, undefined);
  const work = mkdtempSync(join(tmpdir(), 'drawbridge-cli-cache-'));
  const names = ['DRAWBRIDGE_CONFIG', 'DRAWBRIDGE_DATA_DIR', 'DRAWBRIDGE_TRAINING_URL'] as const;
  const saved = names.map((n) => [n, process.env[n]] as const);
  try {
    const migrations = join(work, 'migrations');
    const all = Object.entries(TRAINING_MIGRATIONS);
    examples.forEach((sql, i) => all.push([`20240201${String(i).padStart(6, '0')}_example`, sql]));
    for (const [migration, sql] of all) {
      mkdirSync(join(migrations, migration), { recursive: true });
      writeFileSync(join(migrations, migration, 'migration.sql'), sql);
    }
    writeFileSync(
      join(work, 'drawbridge.yml'),
      `slack: { channel: C0MIGRATE1 }\nenvironments:\n  train:\n    database: { urlEnv: DRAWBRIDGE_TRAINING_URL }\n    migrations: ${migrations}\n`,
    );
    process.env.DRAWBRIDGE_CONFIG = join(work, 'drawbridge.yml');
    process.env.DRAWBRIDGE_DATA_DIR = join(work, 'data');
    process.env.DRAWBRIDGE_TRAINING_URL = 'postgresql://drawbridge@127.0.0.1:1/training?connect_timeout=2';
    for (const argv of TRAINING[name](migrations)) await cli.runCli(argv, silent);
    const data = cli.script.createCachedData();
    const path = join(dir, cacheFile(name));
    writeFileSync(`${path}.tmp`, Buffer.concat([cli.sourceHash, data]));
    renameSync(`${path}.tmp`, path);
    return { cacheBytes: data.length };
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
    rmSync(work, { recursive: true, force: true });
  }
}

/** What the process may still hold when a command is done and nothing is left to wait for: its own stdio. */
const STDIO_HANDLES = new Set(['PipeWrap', 'TTYWrap']);

/**
 * Ends the process once a command is done, as soon as its output is written and nothing else is under
 * way. Left to itself, Node would wait before exiting for V8's background work to finish, typically a
 * function being optimised that nothing will run again (about 5 ms of an 820-file review). Anything
 * else still open (a timer, a socket, a child process, a file being written, a worker) means the
 * process ends as before, when the event loop is empty. `exit` listeners run either way; the exit
 * code is the one the command set.
 */
export async function exitWhenDone(): Promise<void> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  if (process.getActiveResourcesInfo().every((r) => STDIO_HANDLES.has(r))) process.exit();
}

/** Resolves when everything written to `stream` so far has been handed to the system. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

// Run as the bin (CommonJS); not when the build imports CACHED_COMMANDS from this file.
if (typeof module !== 'undefined' && require.main === module) {
  const cli = loadCli(__dirname, cacheFor(process.argv.slice(2)));
  void cli.cliMain().then(exitWhenDone);
}
