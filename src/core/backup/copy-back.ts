/**
 * Before a restore: make sure the backup file is on the host that keeps the backups. When it is gone
 * (retention, a cleaned disk, a replaced host), the configured `backup.copyBack` command fetches it
 * from its copy-off location, and the fetched file must have the sha256 recorded at backup time; a
 * copy that does not is deleted and the restore refused. A "no" here is a refusal, not a fault.
 */
import type { Clock } from '../../base/clock.js';
import { describeError, refusal, type Refusal } from '../../base/errors.js';
import { redact } from '../../base/redact.js';
import type { Executor } from '../../exec/executor.js';
import type { ProgressListener } from './progress.js';
import { tail } from './run-checked.js';
import { backupSha256 } from './backup-manifest.js';

/** The backup as recorded: where it was, its name, its sha256. */
export interface BackupFileRef {
  readonly path: string;
  readonly fileName: string;
  readonly sha256: string;
  /** Whether the copy-off after the backup succeeded (there is an off-host copy to fetch). */
  readonly copiedOff: boolean;
}

/** The file was there, or was fetched back and verified. */
export interface BackupFileReady {
  readonly kind: 'present' | 'fetched';
  /** The copy-back command as run (placeholders substituted, redacted), when fetched. */
  readonly command?: readonly string[];
  readonly durationMs: number;
}

export interface CopyBackOptions {
  /** `backup.copyBack`; `{file}` = the local path, `{name}` = the file name. */
  readonly command?: readonly string[];
  /** Variables the command needs (credentials of the copy-off store); never on its command line. */
  readonly env?: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly onProgress?: ProgressListener;
}

/** Replaces `{file}` and `{name}` in every argument. */
export function substituteCopyBack(
  command: readonly string[],
  ref: Pick<BackupFileRef, 'path' | 'fileName'>,
): string[] {
  return command.map((arg) => arg.split('{file}').join(ref.path).split('{name}').join(ref.fileName));
}

/**
 * Ensures `ref.path` exists on the executor's host with sha256 `ref.sha256` as far as fetching is
 * concerned: a file already there is left to the restore's own sha256 check; a missing one is
 * fetched with `opts.command` and verified here. Refusal codes: `BACKUP_FILE_MISSING` (no copy or
 * no command), `COPY_BACK_FAILED` (the command failed), `COPY_BACK_CHECKSUM_MISMATCH` (the copy is
 * not the backup that was made; it is deleted).
 */
export async function ensureBackupFile(
  executor: Executor,
  ref: BackupFileRef,
  opts: CopyBackOptions,
): Promise<BackupFileReady | Refusal> {
  const started = opts.clock.now();
  // -e: a directory-format backup is a directory (its manifest's sha256 is the recorded one).
  const present = await executor.run({ command: 'test', args: ['-e', ref.path], signal: opts.signal });
  if (present.exitCode === 0) return { kind: 'present', durationMs: opts.clock.now() - started };
  if (!ref.copiedOff || !opts.command || opts.command.length === 0) {
    return refusal(
      'BACKUP_FILE_MISSING',
      `The backup file ${ref.path} is no longer on ${executor.description}${
        ref.copiedOff ? '' : ', and it was never copied off'
      }.`,
      ref.copiedOff
        ? 'Configure backup.copyBack to fetch it from its copy-off location, or put the file back by hand.'
        : 'Put an intact copy back at that path (its sha256 is checked), then restore again.',
    );
  }
  const [exe, ...args] = substituteCopyBack(opts.command, ref);
  const shown = substituteCopyBack(opts.command, ref).map(redact);
  opts.onProgress?.({ phase: 'restore', message: `Fetching ${ref.fileName} back: ${shown.join(' ')}` });
  let failure: string | undefined;
  try {
    const r = await executor.run(
      {
        command: exe ?? '',
        args,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        ...(opts.env ? { env: opts.env } : {}),
      },
      (l) => opts.onProgress?.({ phase: 'restore', message: l.line }),
    );
    if (r.exitCode !== 0 || r.timedOut || r.cancelled)
      failure = r.timedOut
        ? 'timed out'
        : `exit ${String(r.exitCode)}: ${tail(`${r.stdout}\n${r.stderr}`, 5)}`;
  } catch (err) {
    failure = describeError(err);
  }
  if (failure !== undefined) {
    return refusal(
      'COPY_BACK_FAILED',
      `Fetching ${ref.fileName} back failed (${shown.join(' ')}): ${redact(failure)}`,
      'Check the copy-back command and its credentials, then restore again.',
    );
  }
  const actual = await backupSha256(executor, ref.path, opts.signal).catch((err: unknown) =>
    describeError(err),
  );
  if (actual !== ref.sha256) {
    // Never leave a wrong file where the next restore would look for the backup.
    await executor.run({ command: 'rm', args: ['-rf', '--', ref.path] }).catch(() => undefined);
    return refusal(
      'COPY_BACK_CHECKSUM_MISMATCH',
      `The copy of ${ref.fileName} fetched back is not the backup that was made: sha256 ${actual.slice(0, 64)}, expected ${ref.sha256}. It was deleted; nothing was restored.`,
      'Find an intact copy of the backup; do not restore this one.',
    );
  }
  return { kind: 'fetched', command: shown, durationMs: opts.clock.now() - started };
}
