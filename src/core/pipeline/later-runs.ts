/**
 * What restoring a run's backup would undo, and whether that backup can still be restored. A backup
 * is the database as it was when the run started; every later run on the environment that reached
 * apply changed it since, and a restore takes those changes away too. Reads the store only.
 */
import type { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import type { StoredBackup } from './run-context.js';

/** Steps after which a run may have changed the database. */
const CHANGED_FROM: readonly string[] = ['apply'];

/**
 * The later runs of the environment whose changes restoring `run`'s backup would undo, oldest
 * first: those that started after it and reached apply. Not those already reverted by an earlier
 * restore, nor those themselves restored (their own backup already took their changes away).
 */
export function runsUndoneBy(runs: RunStore, run: RunRecord): RunRecord[] {
  if (run.startedAt === null) return [];
  return runs
    .listRunsStartedAfter(run.environment, run.startedAt)
    .filter((r) => r.id !== run.id && !r.reverted && r.state !== 'restored')
    .filter((r) =>
      runs
        .listSteps(r.id)
        .some((s) => CHANGED_FROM.includes(s.name) && s.state !== 'not_run' && s.state !== 'skipped'),
    );
}

/** "run 1a2b3c4d (done), run 5e6f7a8b (failed)" — the runs a restore undoes, for messages. */
export function describeUndone(undone: readonly Pick<RunRecord, 'id' | 'state'>[]): string {
  return undone.map((r) => `run ${r.id} (${r.state.replace('_', ' ')})`).join(', ');
}

/** The backup a run recorded (as run-view.ts `storedBackupOf`, which imports this file). */
function backupOf(run: RunRecord): StoredBackup | undefined {
  const b = run.backup as Partial<StoredBackup> | null;
  return b && typeof b.path === 'string' && typeof b.sha256 === 'string' ? (b as StoredBackup) : undefined;
}

/**
 * Why `run`'s backup can no longer be restored, or undefined while it can: retention (a later
 * backup's `deleted`) removed the file, and there is no off-host copy that `backup.copyBack` could
 * fetch back. A file removed by other means is found at restore time (core/backup/copy-back.ts).
 */
export function backupGoneReason(deps: CoreDeps, runs: RunStore, run: RunRecord): string | undefined {
  const backup = backupOf(run);
  if (!backup || run.startedAt === null) return undefined;
  const remover = runs
    .listRunsStartedAfter(run.environment, run.startedAt)
    .find((r) => backupOf(r)?.deleted?.includes(backup.fileName));
  if (!remover) return undefined;
  const copied = backup.copyOff?.ok === true;
  const copyBack = deps.config.environment(run.environment)?.backup.copyBack;
  if (copied && copyBack) return undefined;
  return `retention removed ${backup.fileName} after run ${remover.id}, and ${
    copied ? 'backup.copyBack is not configured to fetch its off-host copy' : 'it was never copied off'
  }`;
}
