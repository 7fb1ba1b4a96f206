/**
 * Backup file names and retention. Our files are `<env>-<yyyymmddThhmmssZ>-<runId>.dump` (a
 * directory of that name for the directory format, removed as a whole); retention
 * only ever looks at files of that shape for the same environment, so other files in the directory
 * (and other environments' backups) are never touched.
 */
import { DrawbridgeError } from '../../base/errors.js';
import type { Executor } from '../../exec/executor.js';
import { runChecked } from './run-checked.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `yyyymmddThhmmssZ` for an epoch-milliseconds time. */
export function compactTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** The file name of a backup. Environment and run id must be plain words (no slashes). */
export function backupFileName(environment: string, atMs: number, runId: string): string {
  for (const [label, value] of [
    ['environment', environment],
    ['run id', runId],
  ] as const) {
    if (!SAFE.test(value)) {
      throw new DrawbridgeError('BACKUP_BAD_NAME', `The ${label} "${value}" cannot be part of a file name`, {
        hint: 'Use letters, digits, dot, dash and underscore only.',
      });
    }
  }
  return `${environment}-${compactTimestamp(atMs)}-${runId}.dump`;
}

/** True for our own backup files of `environment`. */
export function isBackupFileOf(environment: string, name: string): boolean {
  return new RegExp(`^${escapeRegExp(environment)}-\\d{8}T\\d{6}Z-[A-Za-z0-9][A-Za-z0-9_.-]*\\.dump$`).test(
    name,
  );
}

/**
 * Which of `names` retention deletes: our files of `environment`, oldest first (the timestamp in
 * the name sorts them), all but the newest `keep` counting `current`, which is always kept. A
 * `keep` of 0 or less keeps everything. Pure.
 */
export function selectExpired(
  names: readonly string[],
  environment: string,
  keep: number,
  current: string,
): string[] {
  if (keep <= 0) return [];
  const ours = names.filter((n) => isBackupFileOf(environment, n) && n !== current).sort();
  const room = Math.max(0, keep - 1);
  return ours.slice(0, Math.max(0, ours.length - room));
}

/** Deletes expired backups in `dir` on the executor's host; returns the deleted names. */
export async function applyRetention(
  executor: Executor,
  dir: string,
  environment: string,
  keep: number,
  current: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const codes = { failed: 'BACKUP_RETENTION_FAILED', cancelled: 'BACKUP_CANCELLED' };
  const listing = await runChecked(
    executor,
    { command: 'ls', args: ['-1A', '--', dir], signal },
    'Listing backups',
    codes,
  );
  const expired = selectExpired(listing.stdout.split('\n'), environment, keep, current);
  if (expired.length > 0) {
    const paths = expired.map((n) => `${dir.replace(/\/+$/, '')}/${n}`);
    await runChecked(
      executor,
      { command: 'rm', args: ['-rf', '--', ...paths], signal },
      'Deleting old backups',
      codes,
    );
  }
  return expired;
}
