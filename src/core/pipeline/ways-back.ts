/**
 * The ways back from a failed, cancelled or interrupted run: mark its failed migration rolled back
 * (Prisma's `migrate resolve --rolled-back`), or restore the verified backup the run made and
 * compare the database with the snapshot taken just before the dump. Restore is also open to a run
 * just deployed and still watched (`succeeded`, `monitoring`) or finished (`done`): an application
 * that broke after a successful migration. Later runs whose changes the backup predates are named
 * before (core/pipeline/later-runs.ts) and marked reverted after.
 * When each may happen is decided once, by `availability` (core/runs/authorize.ts, from the
 * lifecycle table and the evidence); who may is decided by the caller (RunService.authorizeAction).
 */
import { describeError, DrawbridgeError, refusal, type Refusal } from '../../base/errors.js';
import { getStatus } from '../../migrations/get-status.js';
import { RestoreStore } from '../../store/restore-store.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import { ensureBackupFile, restoreBackup, type SnapshotComparison } from '../backup/index.js';
import type { CoreDeps } from '../deps.js';
import { resolveOnTarget } from '../engine-service.js';
import { closeTarget, openEnvironmentTarget, resolveTarget } from '../environment-target.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { availability } from '../runs/authorize.js';
import { describeUndone, runsUndoneBy } from './later-runs.js';
import { runFacts, storedBackupOf } from './run-view.js';
import type { PipelineObserver } from './types.js';
import { endWayBack } from './way-back-end.js';

/** What `markRolledBack` did. */
export interface MarkedRolledBack {
  readonly kind: 'rolled_back';
  readonly run: RunRecord;
  readonly migrations: readonly string[];
}

/**
 * Resolves every migration of the run's plan that the ledger shows failed as rolled back, then moves
 * the run to `rolled_back`. Refused when the ledger shows none failed.
 */
export async function markRolledBack(
  deps: CoreDeps,
  runId: string,
  actor: string,
  emit: PipelineObserver,
): Promise<MarkedRolledBack | Refusal> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = runs.getRun(runId);
  if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
  // Never without evidence: a migration that may have left changes behind is not "rolled back".
  const closed = availability('mark_rolled_back', runFacts(deps, runs, run));
  if (closed) return closed;
  // One target for the whole action: the ledger read and every resolve go through the same tunnel.
  const target = await openEnvironmentTarget(deps, run.environment);
  if ('kind' in target) return target;
  let failed: string[];
  try {
    const status = await getStatus({
      databaseUrl: target.url,
      migrationsDir: target.config.migrations,
      clock: deps.clock,
    });
    const planned = new Set(run.plan.migrations.map((m) => m.name));
    failed = status.migrations.filter((m) => m.state === 'failed' && planned.has(m.name)).map((m) => m.name);
    if (failed.length === 0) {
      return refusal(
        'NOTHING_FAILED',
        `The ledger of ${run.environment} shows no failed migration from run ${run.id}; there is nothing to mark rolled back.`,
        'If the database is not as it should be, use Restore backup.',
      );
    }
    for (const name of failed) {
      const r = await resolveOnTarget(deps, target, 'rolled-back', name);
      if (r.outcome === 'refused') return r.refusal ?? refusal('RESOLVE_REFUSED', r.message);
      emit({
        kind: 'detail',
        runId,
        detail: {
          title: 'Marked rolled back',
          text: `${name} marked rolled back by @${actor} (migrate resolve --rolled-back).`,
          mentions: true,
        },
      });
    }
  } finally {
    await closeTarget(deps, target);
  }
  const moved = applyRunEvent(runs, runId, 'mark_rolled_back', {
    actor,
    expectedState: run.state,
    detail: { migrations: failed },
    outcome: `marked rolled back by ${actor}: ${failed.join(', ')}`,
  });
  if (moved.kind === 'refusal') return moved;
  emit({
    kind: 'notice',
    runId,
    notice: { kind: 'marked_rolled_back', environment: run.environment, runId, migrations: failed, actor },
  });
  emit({ kind: 'run:changed', runId });
  await endWayBack(deps, runId, actor, emit, 'rolled_back');
  return { kind: 'rolled_back', run: runs.getRun(runId) ?? moved.run, migrations: failed };
}

/** What `restoreRun` did. */
export interface Restored {
  readonly kind: 'restored';
  readonly run: RunRecord;
  readonly comparison?: SnapshotComparison;
  readonly durationMs: number;
  /** Later runs of the environment whose changes the restore undid; each is now marked reverted. */
  readonly reverted: readonly RunRecord[];
}

/** What a person types to confirm a restore of `environment` (the Slack modal and the CLI's `--confirm`). */
export function restorePhrase(environment: string): string {
  return `RESTORE ${environment}`;
}

/** The `application_name` of the session that restores run `runId`'s backup (see recover-restores.ts). */
export function restoreApplicationName(runId: string): string {
  return `drawbridge restore ${runId}`;
}

/**
 * Restores the run's verified backup (`pg_restore --clean --if-exists --single-transaction`) after
 * checking its sha256, compares schema and row counts with the snapshot taken before the dump, and
 * moves the run to `restored`. Holds the environment lock while it works, and records the restore in
 * the store from start to end, so that start-up recovery can report one the bot died during.
 */
export async function restoreRun(
  deps: CoreDeps,
  runId: string,
  actor: string,
  emit: PipelineObserver,
): Promise<Restored | Refusal> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = runs.getRun(runId);
  if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
  const closed = availability('restore', runFacts(deps, runs, run));
  if (closed) return closed;
  const backup = storedBackupOf(run);
  if (!backup) return refusal('NO_BACKUP', `Run ${run.id} made no verified backup to restore.`);
  // Named in the confirmation before, marked reverted after: the backup predates their changes.
  const undone = runsUndoneBy(runs, run);
  const locked = runs.acquireEnvironmentLock(run.environment, run.id);
  if (locked.kind === 'refusal') return locked;
  const restores = new RestoreStore(deps.store, deps.clock);
  const record = restores.begin({
    runId,
    environment: run.environment,
    backupPath: backup.path,
    startedBy: actor,
  });
  const progress = (text: string): void =>
    emit({ kind: 'progress', runId, step: 'backup', text: `Restore: ${text}` });
  try {
    emit({
      kind: 'notice',
      runId,
      notice: { kind: 'restoring', environment: run.environment, runId, actor, fileName: backup.fileName },
    });
    // The restore runs on the executor's host: no tunnel is needed, only the environment looked up once.
    const env = resolveTarget(deps, run.environment);
    if ('kind' in env) throw new DrawbridgeError(env.code, env.message, env.hint ? { hint: env.hint } : {});
    const file = await ensureBackupFile(
      env.executor,
      { ...backup, copiedOff: backup.copyOff?.ok === true },
      {
        ...(env.config.backup.copyBack ? { command: env.config.backup.copyBack } : {}),
        clock: deps.clock,
        onProgress: (p) => progress(p.message.slice(0, 140)),
      },
    );
    if (file.kind === 'refusal') {
      restores.finish(record.id, 'failed', { actor: 'system', error: file.message });
      emit({
        kind: 'notice',
        runId,
        notice: { kind: 'restore_failed', environment: run.environment, runId, error: file.message },
      });
      return file;
    }
    if (file.kind === 'fetched')
      emit({
        kind: 'detail',
        runId,
        detail: {
          title: 'Backup fetched back',
          text: `${backup.fileName} was no longer on ${env.executor.description}; fetched with ${(file.command ?? []).join(' ')} and its sha256 matches the one recorded at backup time.`,
          code: true,
        },
      });
    const result = await restoreBackup({
      executor: env.executor,
      databaseUrl: env.executorUrl,
      path: backup.path,
      expectedSha256: backup.sha256,
      ...(backup.snapshot ? { expected: backup.snapshot } : {}),
      clock: deps.clock,
      // The same client tools that made the backup (chosen by its run's preflight).
      ...(backup.client
        ? {
            pgRestoreCommand: backup.client.pgRestore,
            pgDumpCommand: backup.client.pgDump,
            psqlCommand: backup.client.psql,
          }
        : {}),
      applicationName: restoreApplicationName(run.id),
      onProgress: (p) => progress(p.message.slice(0, 140)),
    });
    const c = result.comparison;
    const same = !c || c.identical;
    const lines = [
      `Restored ${backup.path} (sha256 ${result.checksumVerified ? 'verified' : 'not checked'}) in ${result.durationMs} ms.`,
      c
        ? c.identical
          ? 'Schema and the row count of every table match the snapshot taken before the backup.'
          : `Differences from the snapshot: ${describeComparison(c)}`
        : 'No snapshot was recorded to compare with.',
    ];
    emit({ kind: 'detail', runId, detail: { title: 'Restore', text: lines.join('\n'), code: true } });
    // One transaction: a crash leaves either both the run and the restore open, or both closed.
    const moved = runs.atomically(() => {
      restores.finish(record.id, 'restored', { actor });
      runs.markReverted(
        undone.map((r) => r.id),
        { byRunId: run.id, actor, at: deps.clock.now() },
      );
      return applyRunEvent(runs, runId, 'restore', {
        actor,
        expectedState: run.state,
        detail: { path: backup.path, identical: c?.identical ?? null, reverted: undone.map((r) => r.id) },
        outcome: `restored from ${backup.fileName} by ${actor}${same ? '' : ' (differences found)'}${
          undone.length ? `; undid ${describeUndone(undone)}` : ''
        }`,
      });
    });
    if (moved.kind === 'refusal') return moved;
    for (const later of undone) {
      emit({
        kind: 'detail',
        runId: later.id,
        detail: {
          title: 'Reverted',
          text: `@${actor} restored the backup of run ${run.id}, taken before this run: its changes are undone.`,
          mentions: true,
        },
      });
      emit({ kind: 'run:changed', runId: later.id });
    }
    emit({
      kind: 'notice',
      runId,
      notice: {
        kind: 'restored',
        environment: run.environment,
        runId,
        ...(same ? {} : { differences: describeComparison(c) }),
      },
    });
    emit({ kind: 'run:changed', runId });
    // Never throws: the restore is done whatever happens to maintenance mode or the status page.
    await endWayBack(deps, runId, actor, emit, 'restored');
    return {
      kind: 'restored',
      run: runs.getRun(runId) ?? moved.run,
      durationMs: result.durationMs,
      reverted: undone.map((r) => runs.getRun(r.id) ?? r),
      ...(c ? { comparison: c } : {}),
    };
  } catch (err) {
    restores.finish(record.id, 'failed', { actor: 'system', error: describeError(err) });
    emit({
      kind: 'notice',
      runId,
      notice: { kind: 'restore_failed', environment: run.environment, runId, error: describeError(err) },
    });
    throw err;
  } finally {
    runs.releaseEnvironmentLock(run.environment, run.id);
  }
}

/** The differences of a comparison in one line (tables and schema lines), for messages. */
export function describeComparison(c: SnapshotComparison | undefined): string {
  if (!c) return 'nothing to compare';
  const parts = [];
  if (c.schemaChanges.removed.length || c.schemaChanges.added.length) {
    parts.push(
      `${c.schemaChanges.removed.length} schema line(s) missing, ${c.schemaChanges.added.length} extra`,
    );
  }
  for (const r of c.rowCountChanges.slice(0, 10))
    parts.push(`${r.table}: ${r.before ?? 'missing'} → ${r.after ?? 'missing'}`);
  return parts.join('; ');
}
