/**
 * Facts about a backup file, computed on the host that holds it (through the executor, so the same
 * code works on the bastion): size, sha256, and whether pg_restore can read all of it.
 */
import { DrawbridgeError } from '../../base/errors.js';
import type { Executor } from '../../exec/executor.js';
import { runChecked } from './run-checked.js';

const CODES = { failed: 'BACKUP_VERIFY_FAILED', cancelled: 'BACKUP_CANCELLED' };

/** Size in bytes (`wc -c`, POSIX). */
export async function fileSize(executor: Executor, path: string, signal?: AbortSignal): Promise<number> {
  const r = await runChecked(
    executor,
    { command: 'wc', args: ['-c', path], signal },
    'Measuring the backup',
    CODES,
  );
  const size = Number(r.stdout.trim().split(/\s+/)[0]);
  if (!Number.isFinite(size))
    throw new DrawbridgeError('BACKUP_VERIFY_FAILED', `Unexpected wc output: ${r.stdout}`);
  return size;
}

/** Hex sha256 of the file (`sha256sum`, GNU coreutils). */
export async function sha256File(executor: Executor, path: string, signal?: AbortSignal): Promise<string> {
  const r = await runChecked(
    executor,
    { command: 'sha256sum', args: ['--', path], signal },
    'Checksumming the backup',
    CODES,
  );
  const hash = r.stdout.trim().split(/\s+/)[0] ?? '';
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    throw new DrawbridgeError('BACKUP_VERIFY_FAILED', `Unexpected sha256sum output: ${r.stdout}`);
  }
  return hash;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /** Default `pg_restore`. */
  pgRestoreCommand?: string;
  /**
   * Also read every data block (`pg_restore --file /dev/null`; default true). The backup right after
   * pg_dump skips it: pg_dump's exit status covers what it wrote, and the sha256 read covers the disk.
   */
  readAll?: boolean;
}

/**
 * Checks that a dump (a custom-format file or a directory) is usable: `pg_restore --list` must read
 * its table of contents (the count of entries is returned), and unless `readAll` is false, a full
 * read into /dev/null must get through every data block, which catches a truncated or damaged file
 * that still has an intact table of contents.
 */
export async function verifyBackup(
  executor: Executor,
  path: string,
  options: VerifyOptions = {},
): Promise<{ tocEntries: number }> {
  const pgRestore = options.pgRestoreCommand ?? 'pg_restore';
  const signal = options.signal;
  const list = await runChecked(
    executor,
    { command: pgRestore, args: ['--list', path], signal },
    'pg_restore --list',
    CODES,
  );
  const tocEntries = list.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';')).length;
  if (tocEntries === 0) {
    throw new DrawbridgeError('BACKUP_VERIFY_FAILED', `The backup ${path} has an empty table of contents`);
  }
  if (options.readAll === false) return { tocEntries };
  await runChecked(
    executor,
    { command: pgRestore, args: ['--file', '/dev/null', path], signal },
    'Reading the whole backup (pg_restore --file /dev/null)',
    CODES,
  );
  return { tocEntries };
}
