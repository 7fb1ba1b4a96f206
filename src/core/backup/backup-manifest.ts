/**
 * A directory-format backup (`pg_dump --format=directory`) is many files: its sha256 is that of a
 * manifest, one line `<sha256>  <name>` per file sorted by name, the way `sha256sum` prints them.
 * Every file's hash is computed on the host that holds the backup (`find … -exec sha256sum`, an
 * argument array); a changed, added or removed file changes the manifest and so the backup's sha256.
 */
import { createHash } from 'node:crypto';
import { DrawbridgeError } from '../../base/errors.js';
import type { Executor } from '../../exec/executor.js';
import { runChecked } from './run-checked.js';
import { sha256File } from './verify-backup.js';

const CODES = { failed: 'BACKUP_VERIFY_FAILED', cancelled: 'BACKUP_CANCELLED' };

/** One file of a directory backup. */
export interface ManifestEntry {
  /** Path relative to the backup directory. */
  readonly name: string;
  readonly sha256: string;
}

/** The manifest of a directory backup: its files, its text, the sha256 of that text, the bytes. */
export interface DirectoryManifest {
  readonly files: readonly ManifestEntry[];
  readonly text: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** The manifest text of `files` (sorted by name) and its sha256. Pure. */
export function manifestOf(files: readonly ManifestEntry[]): { text: string; sha256: string } {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const text = sorted.map((f) => `${f.sha256}  ${f.name}\n`).join('');
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

function relative(dir: string, path: string): string {
  const prefix = `${dir.replace(/\/+$/, '')}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/** Hashes every file under `dir` on the executor's host, and measures them. */
export async function directoryManifest(
  executor: Executor,
  dir: string,
  signal?: AbortSignal,
): Promise<DirectoryManifest> {
  const sums = await runChecked(
    executor,
    { command: 'find', args: [dir, '-type', 'f', '-exec', 'sha256sum', '--', '{}', '+'], signal },
    'Checksumming the backup directory',
    CODES,
  );
  const files: ManifestEntry[] = [];
  for (const line of sums.stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m?.[1] && m[2]) files.push({ sha256: m[1], name: relative(dir, m[2]) });
  }
  if (files.length === 0)
    throw new DrawbridgeError('BACKUP_VERIFY_FAILED', `The backup directory ${dir} holds no files`);
  const sizes = await runChecked(
    executor,
    { command: 'find', args: [dir, '-type', 'f', '-printf', '%s\\n'], signal },
    'Measuring the backup directory',
    CODES,
  );
  const sizeBytes = sizes.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reduce((sum, l) => sum + Number(l), 0);
  return { files, ...manifestOf(files), sizeBytes };
}

/** True when `path` is a directory on the executor's host. */
export async function isDirectory(executor: Executor, path: string, signal?: AbortSignal): Promise<boolean> {
  const r = await executor.run({ command: 'test', args: ['-d', path], signal });
  return r.exitCode === 0;
}

/**
 * The sha256 a backup was recorded with: of the file for the custom format, of the manifest for a
 * directory. Used before a restore and after fetching a copy back.
 */
export async function backupSha256(executor: Executor, path: string, signal?: AbortSignal): Promise<string> {
  if (await isDirectory(executor, path, signal))
    return (await directoryManifest(executor, path, signal)).sha256;
  return sha256File(executor, path, signal);
}
