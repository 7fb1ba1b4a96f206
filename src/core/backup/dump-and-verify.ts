/**
 * The dump itself, at the speed of pg_dump: `pg_dump` writes the archive (one file, or a directory
 * with `--jobs` workers), then one read of it computes the sha256 (of the file, or of the manifest of
 * the directory's files) while `pg_restore --list` reads the archive's table of contents — the two at
 * once, nothing read twice. pg_dump's own exit status covers the data it wrote; the sha256 recorded
 * here is what every later restore and copy-back checks first. Progress is reported at most once per
 * interval while pg_dump runs (see dump-progress.ts).
 */
import { systemClock, type Clock } from '../../base/clock.js';
import type { Executor } from '../../exec/executor.js';
import { directoryManifest } from './backup-manifest.js';
import { DumpProgress, readCopyProgress, readDumpEstimate } from './dump-progress.js';
import type { PgConnection } from './pg-connection.js';
import { PROGRESS_INTERVAL_MS, startTicker, type ProgressListener } from './progress.js';
import { runChecked } from './run-checked.js';
import { fileSize, sha256File, verifyBackup } from './verify-backup.js';

/** `custom`: one file (`pg_dump -Fc`); `directory`: a directory (`pg_dump -Fd`), dumped by `jobs` workers. */
export type BackupFormat = 'custom' | 'directory';

/** What the dump needs (a subset of BackupOptions). */
export interface DumpSettings {
  executor: Executor;
  format?: BackupFormat;
  jobs?: number;
  dumpTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  clock?: Clock;
  pgDumpCommand?: string;
  pgRestoreCommand?: string;
  psqlCommand?: string;
  progressIntervalMs?: number;
}

/** What the dump and its verification measured. */
export interface DumpFacts {
  sizeBytes: number;
  sha256: string;
  tocEntries: number;
}

const CODES = { failed: 'BACKUP_DUMP_FAILED', cancelled: 'BACKUP_CANCELLED' };

/** The pg_dump arguments for `path` in `format` (the connection's come after). Pure. */
export function dumpFormatArgs(format: BackupFormat, jobs: number): string[] {
  return format === 'directory' ? ['--format=directory', `--jobs=${Math.max(1, jobs)}`] : ['--format=custom'];
}

/** pg_dump, then sha256 and verification in one read; a file that fails any of it is not a backup. */
export async function dumpAndVerify(s: DumpSettings, conn: PgConnection, path: string): Promise<DumpFacts> {
  const { executor, signal } = s;
  const format = s.format ?? 'custom';
  await runDump(s, conn, path);
  await runChecked(
    executor,
    format === 'directory'
      ? { command: 'chmod', args: ['-R', 'go=', path], signal }
      : { command: 'chmod', args: ['600', path], signal },
    'Protecting the backup',
    CODES,
  );
  const progress = s.onProgress ?? (() => undefined);
  // Both at once: the checksum is the one full read; pg_restore --list reads the table of contents.
  progress({ phase: 'checksum', message: 'Measuring and checksumming (one read)' });
  progress({ phase: 'verify', message: 'Verifying with pg_restore --list' });
  const verified = verifyBackup(executor, path, {
    signal,
    readAll: false,
    ...(s.pgRestoreCommand ? { pgRestoreCommand: s.pgRestoreCommand } : {}),
  });
  if (format === 'directory') {
    const [manifest, { tocEntries }] = await settleAll([directoryManifest(executor, path, signal), verified]);
    return { sizeBytes: manifest.sizeBytes, sha256: manifest.sha256, tocEntries };
  }
  const [sizeBytes, sha256, { tocEntries }] = await settleAll([
    fileSize(executor, path, signal),
    sha256File(executor, path, signal),
    verified,
  ]);
  return { sizeBytes, sha256, tocEntries };
}

/** Like Promise.all, but a failure is thrown only once every command has ended (none left running). */
async function settleAll<T extends readonly unknown[]>(promises: {
  readonly [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** pg_dump with a progress report every interval: table data dumped against the estimate, ETA. */
async function runDump(s: DumpSettings, conn: PgConnection, path: string): Promise<void> {
  const { executor, signal } = s;
  const clock = s.clock ?? systemClock;
  const progress = s.onProgress ?? (() => undefined);
  const format = s.format ?? 'custom';
  const jobs = format === 'directory' ? Math.max(1, s.jobs ?? 1) : 1;
  const psql = s.psqlCommand ?? 'psql';
  const estimate = await readDumpEstimate(executor, conn, psql, signal);
  const tracker = new DumpProgress(estimate, jobs > 1);
  const started = clock.now();
  const ticker = startTicker(s.progressIntervalMs ?? PROGRESS_INTERVAL_MS, async () => {
    if (estimate) tracker.copyProgress(await readCopyProgress(executor, conn, psql, signal));
    if (!signal?.aborted) progress(tracker.report(clock.now() - started));
  });
  try {
    await runChecked(
      executor,
      {
        command: s.pgDumpCommand ?? 'pg_dump',
        args: [
          ...dumpFormatArgs(format, jobs),
          ...['--no-password', '--verbose', '--file', path],
          ...conn.args,
          ...['--dbname', conn.database],
        ],
        env: conn.env,
        signal,
        timeoutMs: s.dumpTimeoutMs,
      },
      'pg_dump',
      CODES,
      (l) => tracker.line(l.line),
    );
  } finally {
    await ticker.stop();
  }
}
