/**
 * The backup step of the runbook: `pg_dump` (custom format, or directory format with parallel jobs)
 * through an Executor (this host or the bastion), the password in the environment only; then size,
 * sha256 and `pg_restore --list` in one read (dump-and-verify.ts), the optional copy-off and
 * retention. The record says everything a person needs, including the exact restore command
 * (without the password).
 */
import { systemClock, type Clock } from '../../base/clock.js';
import { DrawbridgeError, describeError } from '../../base/errors.js';
import type { Executor } from '../../exec/executor.js';
import { shellJoin, shellQuote } from '../../exec/shell-quote.js';
import { applyRetention, backupFileName } from './backup-files.js';
import { runCopyOff, type CopyOffResult } from './copy-off.js';
import { dumpAndVerify, type BackupFormat } from './dump-and-verify.js';
import { pgConnection, publicEnv, type PgConnection } from './pg-connection.js';
import type { ProgressListener } from './progress.js';
import { runChecked } from './run-checked.js';

export interface BackupOptions {
  executor: Executor;
  /** The database URL as seen from the executor's host. Its password goes to PGPASSWORD only. */
  databaseUrl: string;
  environment: string;
  runId: string;
  /** Backup directory on the executor's host (created when missing, mode 0700). */
  dir: string;
  /** Retention: how many of this environment's backups to keep, this one included (0 = all). */
  keep?: number;
  /**
   * `custom` (default): one file, `pg_dump -Fc`. `directory`: a directory of the same name,
   * `pg_dump -Fd --jobs=<jobs>`, its sha256 that of the manifest of its files (backup-manifest.ts).
   */
  format?: BackupFormat;
  /** Parallel pg_dump workers for the directory format (default 1). */
  jobs?: number;
  /** Copy-off command; every `{file}` is replaced by the backup path (the directory's, for `directory`). */
  copyOff?: readonly string[];
  /** A failed copy-off stops the run (BackupCopyOffError) instead of being a warning. */
  copyOffRequired?: boolean;
  copyOffTimeoutMs?: number;
  /** Limit for pg_dump itself (absent: none). */
  dumpTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  clock?: Clock;
  /** Default `pg_dump` / `pg_restore` (e.g. a versioned path such as /usr/lib/postgresql/16/bin/pg_dump). */
  pgDumpCommand?: string;
  pgRestoreCommand?: string;
  /** Default `psql`: reads the size estimate and the COPY progress for the progress reports. */
  psqlCommand?: string;
  /** Periodic progress reports at most this often (default PROGRESS_INTERVAL_MS, one a second). */
  progressIntervalMs?: number;
  /**
   * Work done while pg_dump runs that this backup cannot count without (the backup step's snapshot):
   * awaited once the dump is verified, before the copy-off and the retention touch anything. If it
   * failed, the new dump is removed and its error thrown.
   */
  alongside?: Promise<unknown>;
}

/** A verified backup. */
export interface BackupRecord {
  environment: string;
  runId: string;
  /** Full path on the executor's host (a directory for the directory format). */
  path: string;
  /** Absent in records made before formats existed: custom. */
  format?: BackupFormat;
  /** pg_dump workers (directory format). */
  jobs?: number;
  fileName: string;
  /** Where the file is: the executor's description ("local", "ssh deploy@bastion:22"). */
  host: string;
  /** The database, without password. */
  database: string;
  sizeBytes: number;
  /** Of the file (custom format), or of the manifest of the directory's files (directory format). */
  sha256: string;
  /** Entries in the archive's table of contents (`pg_restore --list`). */
  tocEntries: number;
  durationMs: number;
  /** ISO time the dump started. */
  startedAt: string;
  /** What a person types on that host to restore it; libpq asks for the password (never included). */
  restoreCommand: string;
  /** Backups of this environment deleted by retention. */
  deleted: string[];
  copyOff?: CopyOffResult;
  /** Things a person should know that did not stop the backup (e.g. a failed optional copy-off). */
  warnings: string[];
}

/** A required copy-off failed: the backup itself is good and described by `record`. */
export class BackupCopyOffError extends DrawbridgeError {
  constructor(readonly record: BackupRecord) {
    super(
      'BACKUP_COPY_OFF_FAILED',
      `Copy-off of ${record.fileName} failed: ${record.copyOff?.output ?? ''}`,
      {
        hint: 'The verified backup is still on the host; fix the copy-off command or its credentials and retry.',
      },
    );
    this.name = 'BackupCopyOffError';
  }
}

const CODES = { failed: 'BACKUP_DUMP_FAILED', cancelled: 'BACKUP_CANCELLED' };

/** The restore command a person would type (no password; non-secret libpq settings as a prefix). */
export function restoreCommandFor(conn: PgConnection, path: string, pgRestore = 'pg_restore'): string {
  const prefix = Object.entries(publicEnv(conn)).map(([k, v]) => `${k}=${shellQuote(v)} `);
  const args = ['--clean', '--if-exists', '--single-transaction', '--no-owner', ...conn.args];
  return `${prefix.join('')}${shellJoin([pgRestore, ...args, '--dbname', conn.database, path])}`;
}

export async function createBackup(opts: BackupOptions): Promise<BackupRecord> {
  const clock = opts.clock ?? systemClock;
  const conn = pgConnection(opts.databaseUrl);
  const started = clock.now();
  const progress = opts.onProgress ?? (() => undefined);
  const dir = opts.dir.replace(/\/+$/, '') || '/';
  const fileName = backupFileName(opts.environment, started, opts.runId);
  const path = `${dir}/${fileName}`;
  const { executor, signal } = opts;

  progress({ phase: 'prepare', message: `Backup directory ${dir} on ${executor.description}` });
  await runChecked(
    executor,
    { command: 'mkdir', args: ['-p', '-m', '700', '--', dir], signal },
    'Creating the backup directory',
    CODES,
  );

  const how = opts.format === 'directory' ? ` (directory format, ${Math.max(1, opts.jobs ?? 1)} job(s))` : '';
  progress({ phase: 'dump', message: `pg_dump of ${conn.display} to ${path}${how}` });
  const facts = await dumpAndVerify({ ...opts, clock }, conn, path).catch(async (err: unknown) => {
    await removeQuietly(executor, path);
    throw err;
  });
  if (opts.alongside) {
    await opts.alongside.catch(async (err: unknown) => {
      await removeQuietly(executor, path);
      throw err;
    });
  }
  const record: BackupRecord = {
    environment: opts.environment,
    runId: opts.runId,
    path,
    fileName,
    host: executor.description,
    database: conn.display,
    format: opts.format ?? 'custom',
    ...(opts.format === 'directory' ? { jobs: Math.max(1, opts.jobs ?? 1) } : {}),
    ...facts,
    durationMs: 0,
    startedAt: new Date(started).toISOString(),
    restoreCommand: restoreCommandFor(conn, path, opts.pgRestoreCommand),
    deleted: [],
    warnings: [],
  };
  await finishBackup(opts, record, clock, dir, started);
  record.durationMs = clock.now() - started;
  return record;
}

/** Copy-off, then retention (skipped when a required copy-off failed, so nothing older is lost). */
async function finishBackup(
  opts: BackupOptions,
  record: BackupRecord,
  clock: Clock,
  dir: string,
  started: number,
): Promise<void> {
  const progress = opts.onProgress ?? (() => undefined);
  if (opts.copyOff && opts.copyOff.length > 0) {
    progress({ phase: 'copy-off', message: 'Copying the backup off the host' });
    const copy = await runCopyOff(opts.executor, opts.copyOff, record.path, {
      required: opts.copyOffRequired ?? false,
      clock,
      signal: opts.signal,
      timeoutMs: opts.copyOffTimeoutMs,
      onProgress: opts.onProgress,
    });
    record.copyOff = copy;
    if (opts.signal?.aborted)
      throw new DrawbridgeError('BACKUP_CANCELLED', 'The backup was cancelled during copy-off');
    if (!copy.ok && copy.required) {
      record.durationMs = clock.now() - started;
      throw new BackupCopyOffError(record);
    }
    if (!copy.ok) record.warnings.push(`Copy-off failed (not required): ${copy.output}`);
  }
  const keep = opts.keep ?? 0;
  if (keep > 0) {
    progress({ phase: 'retention', message: `Keeping the newest ${keep} backups of ${opts.environment}` });
    try {
      record.deleted = await applyRetention(
        opts.executor,
        dir,
        opts.environment,
        keep,
        record.fileName,
        opts.signal,
      );
    } catch (err) {
      // The new backup is good; a failed clean-up of old ones must not throw it away.
      record.warnings.push(`Retention failed: ${describeError(err)}`);
    }
  }
}

async function removeQuietly(executor: Executor, path: string): Promise<void> {
  try {
    await executor.run({ command: 'rm', args: ['-rf', '--', path] });
  } catch {
    // Best effort: the error being reported matters more than this clean-up.
  }
}
