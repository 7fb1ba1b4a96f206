/**
 * Start-up recovery of restores. core/runs/recovery.ts has ended every restore the bot died during
 * as `interrupted` and released the environment lock; here each one is reported in its run's thread
 * with what the database shows now, and the run (still failed, interrupted or cancelled) offers
 * Restore backup again.
 *
 * What a kill means for a restore (observed, not assumed): the restore script runs in one
 * `psql --single-transaction` child in its own process group, which outlives a SIGKILL of the bot. It
 * dies of SIGPIPE the next time it prints a query result to the dead bot (the script's `setval`
 * calls, right after the table data), and its transaction rolls back; killed after that output (during
 * the index builds) it carries on and commits. So the database holds all of the backup or none of
 * it — which one is read from the database, never guessed.
 */
import { describeError } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import type { RestoreRecord } from '../../store/restore-store.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import { compareSnapshots, restoreScriptPath, snapshotDatabase } from '../backup/index.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import { offered } from '../runs/authorize.js';
import { runFacts, storedBackupOf } from './run-view.js';
import type { StoredBackup } from './run-context.js';
import type { PipelineObserver } from './types.js';
import { describeComparison, restoreApplicationName } from './ways-back.js';

/** Half-second rounds to wait for the dead bot's restore session to end (10 s in all). */
const LEFTOVER_WAIT_ROUNDS = 20;

/** One interrupted restore as recovery reported it. */
export interface RecoveredRestore {
  readonly restore: RestoreRecord;
  readonly run: RunRecord | undefined;
  /** What the database shows now, or why it could not be checked. */
  readonly finding: string;
}

/** Reports each interrupted restore in its run's thread and to the team. */
export async function reportInterruptedRestores(
  deps: CoreDeps,
  restores: readonly RestoreRecord[],
  emit: PipelineObserver,
): Promise<RecoveredRestore[]> {
  const runs = new RunStore(deps.store, deps.clock);
  const out: RecoveredRestore[] = [];
  for (const restore of restores) {
    const run = runs.getRun(restore.runId);
    const backup = run ? storedBackupOf(run) : undefined;
    const finding = await databaseFinding(deps, restore, backup);
    await removeLeftoverScript(deps, restore);
    const file = backup?.fileName ?? restore.backupPath;
    // The run message's own rule (authorize.ts), so that the note and the buttons agree.
    const again =
      run && offered('restore', runFacts(deps, runs, run))
        ? 'Restore backup is offered again: it replaces everything the backup contains, whichever way the interrupted restore ended.'
        : 'Start a new deploy or restore only once the database has been checked.';
    emit({
      kind: 'detail',
      runId: restore.runId,
      detail: {
        title: 'Restore interrupted',
        text: `Drawbridge restarted while restoring *${restore.environment}* from this run's backup ${file} (started by @${restore.startedBy}). The restore runs as one transaction (psql --single-transaction), so the database holds all of the backup or none of it, never a part. ${finding} The ${restore.environment} lock is released. ${again}`,
        mentions: true,
      },
    });
    emit({
      kind: 'notice',
      runId: restore.runId,
      notice: {
        kind: 'restarted_during_restore',
        environment: restore.environment,
        runId: restore.runId,
        finding,
      },
    });
    emit({ kind: 'run:changed', runId: restore.runId });
    out.push({ restore, run, finding });
  }
  return out;
}

async function databaseFinding(
  deps: CoreDeps,
  restore: RestoreRecord,
  backup: StoredBackup | undefined,
): Promise<string> {
  try {
    const target = await openEnvironmentTarget(deps, restore.environment);
    if ('kind' in target)
      return `Environment ${restore.environment} is no longer configured; the database was not checked.`;
    try {
      return await findingOnTarget(deps, target, restore, backup);
    } finally {
      await closeTarget(deps, target);
    }
  } catch (err) {
    return `The database could not be checked (${describeError(err)}): check the schema and row counts before acting.`;
  }
}

/** What the database shows after an interrupted restore, read through the environment's one target. */
async function findingOnTarget(
  deps: CoreDeps,
  target: EnvironmentTarget,
  restore: RestoreRecord,
  backup: StoredBackup | undefined,
): Promise<string> {
  const leftover = await waitForLeftoverSession(deps, target, restore);
  if (leftover !== undefined) {
    return `The restore session from before the restart (pid ${leftover}) is still working on the database, so the outcome is not known yet: it may still commit. Check it with \`select pid, state, xact_start from pg_stat_activity where application_name = '${restoreApplicationName(restore.runId)}'\` before acting; a new restore waits for it.`;
  }
  if (!backup?.snapshot) {
    return 'No snapshot was recorded with the backup to compare with: check the schema and row counts before acting.';
  }
  const now = await snapshotDatabase({ executor: target.executor, databaseUrl: target.executorUrl });
  const c = compareSnapshots(backup.snapshot, now);
  return c.identical
    ? 'The database now matches the snapshot taken with the backup (schema and the row count of every table): it is as the backup left it.'
    : `The database differs from the snapshot taken with the backup (${describeComparison(c)}): the restore did not commit, or the database changed after it.`;
}

/** The restore script (the backup's data as SQL) the dead bot could not remove. */
async function removeLeftoverScript(deps: CoreDeps, restore: RestoreRecord): Promise<void> {
  if (!deps.config.environment(restore.environment)) return;
  await deps
    .executors(restore.environment)
    .run({ command: 'rm', args: ['-f', '--', restoreScriptPath(restore.backupPath)] })
    .catch((err: unknown) =>
      deps.logger.warn(
        { err: describeError(err), runId: restore.runId },
        'removing a leftover restore script failed',
      ),
    );
}

/**
 * The pid of the dead bot's restore session if it is still there after a bounded wait. The psql
 * running the restore may outlive the bot by a few seconds (or, late in the script, until it commits).
 */
async function waitForLeftoverSession(
  deps: CoreDeps,
  target: EnvironmentTarget,
  restore: RestoreRecord,
): Promise<number | undefined> {
  const client = await openSession(parseDatabaseUrl(target.url, 'drawbridge recovery'));
  try {
    const find = async (): Promise<number | undefined> => {
      const r = await client.query<{ pid: number }>(
        'select pid from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid() order by pid limit 1',
        [restoreApplicationName(restore.runId)],
      );
      return r.rows[0]?.pid;
    };
    let pid = await find();
    for (let i = 0; i < LEFTOVER_WAIT_ROUNDS && pid !== undefined; i++) {
      await deps.clock.sleep(500);
      pid = await find();
    }
    return pid;
  } finally {
    await closeSession(client);
  }
}
