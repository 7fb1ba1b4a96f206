/**
 * A way back: the script of `pg_restore --clean --if-exists --no-owner` of a verified backup, run by
 * `psql --single-transaction` after a prelude that drops what the backup does not contain (tables,
 * types, functions created since), through the executor (password in the environment only). All or
 * nothing: on failure the transaction rolls back and the database is as it was before the restore.
 * Afterwards, when given the snapshot taken with the backup, it compares schema and row counts.
 * A directory-format backup takes the same path (pg_restore reads the directory); its manifest is
 * checked first as a file's sha256 is. Its parallel jobs are not used here: `pg_restore --jobs`
 * cannot run in one transaction, and all-or-nothing matters more than speed on the way back.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../base/clock.js';
import { DrawbridgeError } from '../../base/errors.js';
import type { Executor } from '../../exec/executor.js';
import { pgConnection, type PgConnection } from './pg-connection.js';
import { backupSha256 } from './backup-manifest.js';
import { parseToc, restorePreludeSql } from './restore-prelude.js';
import { PROGRESS_INTERVAL_MS, startTicker, type ProgressListener } from './progress.js';
import { readRestoringSession, RestoreProgress, tableDataEntries } from './restore-progress.js';
import { runChecked } from './run-checked.js';
import {
  compareSnapshots,
  exactTablesOf,
  snapshotDatabase,
  type DatabaseSnapshot,
  type SnapshotComparison,
} from './snapshot.js';

export interface RestoreOptions {
  executor: Executor;
  /** The database URL as seen from the executor's host. */
  databaseUrl: string;
  /** The backup file (or directory, for the directory format) on the executor's host. */
  path: string;
  /** When given, the file (a directory: its manifest) must still have this sha256 (recorded at backup time). */
  expectedSha256?: string;
  /** When given, the database is compared with it after the restore. */
  expected?: DatabaseSnapshot;
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  clock?: Clock;
  pgRestoreCommand?: string;
  pgDumpCommand?: string;
  psqlCommand?: string;
  /**
   * `application_name` of the restoring session (psql), so that it can be found in
   * `pg_stat_activity` — for example by start-up recovery after the bot died during a restore.
   */
  applicationName?: string;
  /** Periodic progress reports at most this often (default PROGRESS_INTERVAL_MS, one a second). */
  progressIntervalMs?: number;
}

export interface RestoreResult {
  durationMs: number;
  /** True when the file's sha256 was checked against `expectedSha256`. */
  checksumVerified: boolean;
  /** Present when `expected` was given. */
  comparison?: SnapshotComparison;
}

const CODES = { failed: 'RESTORE_FAILED', cancelled: 'RESTORE_CANCELLED' };

/**
 * Where the restore script of `backupPath` is written (next to the backup, mode 0600). It holds the
 * backup's data as SQL and is removed after the restore, or by start-up recovery when the bot died.
 */
export function restoreScriptPath(backupPath: string): string {
  return `${backupPath}.restore.sql`;
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const progress = opts.onProgress ?? (() => undefined);
  const conn = pgConnection(opts.databaseUrl);
  const { executor, signal } = opts;
  if (opts.expectedSha256) {
    progress({ phase: 'restore', message: `Checking the sha256 of ${opts.path}` });
    const actual = await backupSha256(executor, opts.path, signal);
    if (actual !== opts.expectedSha256) {
      throw new DrawbridgeError(
        'RESTORE_CHECKSUM_MISMATCH',
        `The backup ${opts.path} changed since it was made`,
        {
          hint: `Expected sha256 ${opts.expectedSha256}, found ${actual}. Do not restore it; find an intact copy.`,
        },
      );
    }
  }
  progress({ phase: 'restore', message: `pg_restore of ${opts.path} into ${conn.display}` });
  await restoreInOneTransaction(opts, conn, clock);
  const result: RestoreResult = { durationMs: 0, checksumVerified: Boolean(opts.expectedSha256) };
  if (opts.expected) {
    progress({
      phase: 'compare',
      message: 'Comparing schema and row counts with the snapshot taken at backup time',
    });
    const exactTables = exactTablesOf(opts.expected);
    const now = await snapshotDatabase({ ...opts, signal, ...(exactTables ? { exactTables } : {}) });
    result.comparison = compareSnapshots(opts.expected, now);
  }
  result.durationMs = clock.now() - started;
  return result;
}

/**
 * `pg_restore --list` (what the backup contains), `pg_restore -f` (the restore as SQL, next to the
 * backup, mode 0600), then `psql -1` of the prelude (from stdin) and that script; the script is
 * removed afterwards whatever happened.
 */
async function restoreInOneTransaction(
  opts: RestoreOptions,
  conn: PgConnection,
  clock: Clock,
): Promise<void> {
  const { executor, signal } = opts;
  const pgRestore = opts.pgRestoreCommand ?? 'pg_restore';
  const progress = opts.onProgress ?? (() => undefined);
  const list = await runChecked(
    executor,
    { command: pgRestore, args: ['--list', opts.path], signal },
    'pg_restore --list',
    CODES,
  );
  const script = restoreScriptPath(opts.path);
  const tracker = new RestoreProgress(tableDataEntries(list.stdout));
  const psql = opts.psqlCommand ?? 'psql';
  // The restoring session is found by its application_name (one of ours when none was given).
  const appName = opts.applicationName ?? `drawbridge restore ${randomBytes(6).toString('hex')}`;
  let started = clock.now();
  let loading = false;
  const ticker = startTicker(opts.progressIntervalMs ?? PROGRESS_INTERVAL_MS, async () => {
    const session = loading ? await readRestoringSession(executor, conn, psql, appName, signal) : undefined;
    if (session) tracker.observe(session);
    if (!signal?.aborted) progress(tracker.report(clock.now() - started));
  });
  try {
    await runChecked(
      executor,
      {
        command: pgRestore,
        args: ['--clean', '--if-exists', '--no-owner', '--file', script, opts.path],
        signal,
      },
      'pg_restore (writing the restore script)',
      CODES,
    );
    await runChecked(
      executor,
      { command: 'chmod', args: ['600', script], signal },
      'Protecting the restore script',
      CODES,
    );
    started = clock.now();
    loading = true;
    await runChecked(
      executor,
      {
        command: opts.psqlCommand ?? 'psql',
        args: [
          // Quiet: nothing to write to a pipe whose reader may be gone (an orphaned restore commits).
          ...['-X', '-q', '--single-transaction', '-v', 'ON_ERROR_STOP=1', '--no-password'],
          ...conn.args,
          ...['--dbname', conn.database, '--file', '-', '--file', script],
        ],
        stdin: restorePreludeSql(parseToc(list.stdout)),
        env: { ...conn.env, PGAPPNAME: appName },
        signal,
        timeoutMs: opts.timeoutMs,
      },
      'restore (rolled back: the database is unchanged)',
      CODES,
      (l) => progress({ phase: 'restore', message: l.line }),
    );
  } finally {
    await ticker.stop();
    await executor.run({ command: 'rm', args: ['-f', '--', script] }).catch(() => undefined);
  }
}
