/**
 * Which PostgreSQL client tools (`pg_dump`, `pg_restore`, `psql`) serve a server. pg_dump refuses a
 * server newer than itself, and a newer pg_dump dumps older servers (17 back to 9.2), so the newest
 * installed client whose major is at least the server's is the one to use. Candidates, in order:
 * the directories of `DRAWBRIDGE_PG_BINDIR`, the standard per-major directories (Debian's
 * `/usr/lib/postgresql/<major>/bin`, PGDG RPMs' `/usr/pgsql-<major>/bin`, Homebrew's
 * `/opt/homebrew/opt/postgresql@<major>/bin`), then the tools on PATH. All of it runs on the
 * executor's host (this one or the bastion), through the Executor: `ls` of the standard roots and
 * each candidate's `--version`, never a shell string. The choice is made in the preflight and the
 * backup and a later restore use the same binaries (the run records them with its backup).
 */
import { describeError } from '../../base/errors.js';
import type { Executor } from '../../exec/executor.js';
import { serverMajorOf } from './preflight.js';

/** A directory whose entries name per-major installations (`ls` of `dir`, entries matching `entry`). */
export interface ClientRoot {
  readonly dir: string;
  /** Matches an entry of `dir`; group 1 is the major version. */
  readonly entry: RegExp;
}

/** Where distributions put one directory per major version; each has the tools in `<entry>/bin`. */
export const STANDARD_CLIENT_ROOTS: readonly ClientRoot[] = [
  { dir: '/usr/lib/postgresql', entry: /^(\d+)$/ },
  { dir: '/usr', entry: /^pgsql-(\d+)$/ },
  { dir: '/opt/homebrew/opt', entry: /^postgresql@(\d+)$/ },
];

/** Where a candidate was found. */
export type ClientSource = 'DRAWBRIDGE_PG_BINDIR' | 'standard' | 'PATH';

/** One pg_dump that was tried: its directory (none: PATH), what `--version` said, or why it did not run. */
export interface ClientCandidate {
  readonly binDir?: string;
  readonly source: ClientSource;
  /** `pg_dump (PostgreSQL) 16.2`, as printed. */
  readonly version?: string;
  readonly major: number | null;
  readonly error?: string;
}

/** The client tools chosen for a server: the paths to run and the version they report. */
export interface PgClient {
  /** The directory of the tools; absent when they were found on PATH. */
  readonly binDir?: string;
  readonly source: ClientSource;
  readonly pgDump: string;
  readonly pgRestore: string;
  readonly psql: string;
  readonly major: number;
  /** `pg_dump --version` as printed. */
  readonly version: string;
}

/** The outcome of the choice, with a sentence for the preflight. */
export type PgClientChoice =
  | {
      readonly kind: 'chosen';
      readonly client: PgClient;
      readonly serverMajor: number;
      readonly candidates: readonly ClientCandidate[];
      readonly message: string;
    }
  | {
      readonly kind: 'none';
      readonly serverMajor: number;
      readonly candidates: readonly ClientCandidate[];
      readonly message: string;
      readonly hint: string;
    };

/** Where to look (defaults: no extra directory, the standard roots, and PATH). */
export interface FindClientOptions {
  /** Looked at first: `DRAWBRIDGE_PG_BINDIR` (config.pgBinDirs). */
  readonly binDirs?: readonly string[];
  readonly roots?: readonly ClientRoot[];
  /** Also try the tools found on the executor's PATH. Default true. */
  readonly path?: boolean;
  readonly signal?: AbortSignal;
}

/** The major version in `pg_dump (PostgreSQL) 16.2 (Debian …)`, or null. */
export function clientMajorOf(versionText: string): number | null {
  const m = /\b(\d+)(?:\.\d+)?/.exec(versionText.replace(/^[^)]*\)/, ''));
  return m?.[1] ? Number(m[1]) : null;
}

/**
 * The candidates that can serve a server of `serverMajor`, best first: newest major, and among
 * equals the earlier in the search order (DRAWBRIDGE_PG_BINDIR, standard directories, PATH). Pure.
 */
export function rankCandidates(
  candidates: readonly ClientCandidate[],
  serverMajor: number,
): ClientCandidate[] {
  return candidates
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.major !== null && c.major >= serverMajor)
    .sort((a, b) => (b.c.major ?? 0) - (a.c.major ?? 0) || a.i - b.i)
    .map(({ c }) => c);
}

/** `16.2 (/usr/lib/postgresql/16/bin)` or `14.9 (on PATH)`, for messages. */
export function describeCandidate(c: ClientCandidate): string {
  const where = c.binDir ? c.binDir : 'on PATH';
  if (c.major === null) return `${where}: ${c.error ?? `unreadable version "${c.version ?? ''}"`}`;
  const version = /\d+(?:\.\d+)*/.exec(c.version?.replace(/^[^)]*\)/, '') ?? '')?.[0] ?? String(c.major);
  return `${version} (${where})`;
}

function tool(binDir: string | undefined, name: string): string {
  return binDir ? `${binDir.replace(/\/+$/, '')}/${name}` : name;
}

/** The per-major `bin` directories under the standard roots on the executor's host (`ls`). */
async function standardDirs(
  executor: Executor,
  roots: readonly ClientRoot[],
  signal?: AbortSignal,
): Promise<string[]> {
  const dirs: { dir: string; major: number }[] = [];
  // The roots are listed at once (one round of commands, not one per root).
  const listings = await Promise.all(
    roots.map((root) =>
      executor
        .run({ command: 'ls', args: ['-1', '--', root.dir], timeoutMs: 10_000, signal })
        .catch(() => undefined),
    ),
  );
  for (const [i, root] of roots.entries()) {
    const listed = listings[i];
    if (!listed || listed.exitCode !== 0) continue;
    for (const entry of listed.stdout.split('\n').map((l) => l.trim())) {
      const m = root.entry.exec(entry);
      if (m?.[1]) dirs.push({ dir: `${root.dir.replace(/\/+$/, '')}/${entry}/bin`, major: Number(m[1]) });
    }
  }
  return dirs.sort((a, b) => b.major - a.major).map((d) => d.dir);
}

async function versionOf(
  executor: Executor,
  command: string,
  signal?: AbortSignal,
): Promise<{ version?: string; error?: string }> {
  try {
    const r = await executor.run({ command, args: ['--version'], timeoutMs: 10_000, signal });
    if (r.exitCode !== 0) return { error: `${command} --version exited ${String(r.exitCode)}` };
    return { version: r.stdout.trim().split('\n')[0] ?? '' };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** Every pg_dump the executor's host has, in search order, with its version. */
export async function findClientCandidates(
  executor: Executor,
  opts: FindClientOptions = {},
): Promise<ClientCandidate[]> {
  const places: { binDir?: string; source: ClientSource }[] = [
    ...(opts.binDirs ?? []).map((binDir) => ({ binDir, source: 'DRAWBRIDGE_PG_BINDIR' as const })),
    ...(await standardDirs(executor, opts.roots ?? STANDARD_CLIENT_ROOTS, opts.signal)).map((binDir) => ({
      binDir,
      source: 'standard' as const,
    })),
    ...(opts.path === false ? [] : [{ source: 'PATH' as const }]),
  ];
  const seen = new Set<string>();
  const unique = places.filter((place) => {
    const key = place.binDir?.replace(/\/+$/, '') ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Every candidate's --version at once; the result keeps the search order.
  return Promise.all(
    unique.map(async (place): Promise<ClientCandidate> => {
      const { version, error } = await versionOf(executor, tool(place.binDir, 'pg_dump'), opts.signal);
      return {
        ...place,
        ...(version !== undefined ? { version } : {}),
        major: version !== undefined ? clientMajorOf(version) : null,
        ...(error ? { error } : {}),
      };
    }),
  );
}

/**
 * Chooses the client tools for a server (`server_version_num`): the newest pg_dump whose major is at
 * least the server's and whose directory also has a pg_restore that runs. Refuses (`none`) with the
 * versions it found when there is none.
 */
export async function choosePgClient(
  executor: Executor,
  serverVersionNum: number,
  opts: FindClientOptions = {},
): Promise<PgClientChoice> {
  const serverMajor = serverMajorOf(serverVersionNum);
  const candidates = await findClientCandidates(executor, opts);
  for (const c of rankCandidates(candidates, serverMajor)) {
    const restore = await versionOf(executor, tool(c.binDir, 'pg_restore'), opts.signal);
    if (restore.version === undefined) continue;
    const others = candidates.filter((o) => o !== c && o.major !== null).map(describeCandidate);
    const client: PgClient = {
      ...(c.binDir ? { binDir: c.binDir } : {}),
      source: c.source,
      pgDump: tool(c.binDir, 'pg_dump'),
      pgRestore: tool(c.binDir, 'pg_restore'),
      psql: tool(c.binDir, 'psql'),
      major: c.major ?? serverMajor,
      version: c.version ?? '',
    };
    return {
      kind: 'chosen',
      client,
      serverMajor,
      candidates,
      message:
        `pg_dump ${describeCandidate(c)} can dump a PostgreSQL ${serverMajor} server; the backup and a restore use it` +
        (others.length ? ` (also found: ${others.join(', ')})` : ''),
    };
  }
  const found = candidates.filter((c) => c.major !== null).map(describeCandidate);
  return {
    kind: 'none',
    serverMajor,
    candidates,
    message: found.length
      ? `No pg_dump here can dump a PostgreSQL ${serverMajor} server (pg_dump refuses a newer server): found ${found.join(', ')}`
      : `No pg_dump found (looked in ${[...(opts.binDirs ?? []), 'the per-major directories', 'PATH'].join(', ')})`,
    hint: `Install postgresql-client-${serverMajor} (or newer) on ${executor.description}, or point DRAWBRIDGE_PG_BINDIR at the bin directory of one.`,
  };
}
