/**
 * Step 4: the backup. A snapshot (the schema, exact row counts of the critical tables and catalogue
 * estimates for the others), so a restore can be compared with the database as it was, is read while
 * pg_dump runs; then checksum and verification in one read, copy-off, retention. The record, with the
 * exact restore command, is stored on the run and posted in the thread.
 */
import { describeError } from '../../../base/errors.js';
import { formatBytes } from '../../../migrations/review/impact-estimate.js';
import { parseDatabaseUrl, quoteIdent } from '../../../migrations/connection.js';
import { BackupCopyOffError, createBackup, describeRowCounts, snapshotDatabase } from '../../backup/index.js';
import { backupDirOf } from '../preflight-checks.js';
import type { StepContext, StepOutcome, StoredBackup } from '../run-context.js';
import { RunCancelled, StepStopped } from '../run-context.js';
import { countRows } from '../database-facts.js';
import { progressForwarder } from '../long-work-progress.js';

export async function backupStep(ctx: StepContext): Promise<StepOutcome> {
  const { env, run, target } = ctx;
  // The client tools the preflight chose for this server (absent in plans stored before: PATH).
  const client = ctx.report.preflight.find((c) => c.id === 'pg_dump')?.client;
  const commands = client
    ? { pgDumpCommand: client.pgDump, pgRestoreCommand: client.pgRestore, psqlCommand: client.psql }
    : {};
  ctx.progress('Taking a schema and row-count snapshot (exact for the critical tables), beside the dump');
  // The snapshot and the dump run on the target's executor, given the database as that host sees it.
  // Exact counts only where they matter: counting every row would cost as much as the dump. The
  // snapshot is read while pg_dump runs (both start together, so both read the database at about
  // the same moment); the backup counts only once it is there (createBackup's `alongside`), and a
  // snapshot that fails stops the dump.
  const schema = quoteIdent(parseDatabaseUrl(target.url, 'drawbridge backup').schema);
  const stopDump = new AbortController();
  const onCancel = (): void => stopDump.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onCancel();
  else ctx.signal.addEventListener('abort', onCancel, { once: true });
  let snapshotError: { error: unknown } | undefined;
  const snapshotting = Promise.allSettled([
    countRows(target.url, env.criticalTables),
    snapshotDatabase({
      executor: target.executor,
      databaseUrl: target.executorUrl,
      signal: ctx.signal,
      exactTables: env.criticalTables.map((t) => `${schema}.${quoteIdent(t)}`),
      ...commands,
    }),
  ]).then(([counted, snapshotRead]) => {
    // Both reads have ended before a failure is reported (nothing of the snapshot left running).
    if (counted.status === 'fulfilled' && snapshotRead.status === 'fulfilled')
      return { counts: counted.value, snapshot: snapshotRead.value };
    const reason: unknown =
      counted.status === 'rejected' ? counted.reason : (snapshotRead as PromiseRejectedResult).reason;
    snapshotError = { error: reason };
    stopDump.abort(reason);
    throw reason;
  });
  snapshotting.catch(() => undefined); // awaited through the backup below
  let record;
  try {
    record = await createBackup({
      executor: target.executor,
      databaseUrl: target.executorUrl,
      environment: run.environment,
      runId: run.id,
      dir: backupDirOf(ctx.deps, env),
      keep: env.backup.keep,
      ...(env.backup.copyOff ? { copyOff: env.backup.copyOff } : {}),
      copyOffRequired: env.backup.copyOffRequired,
      format: env.backup.format,
      jobs: env.backup.jobs,
      ...commands,
      signal: stopDump.signal,
      clock: ctx.deps.clock,
      onProgress: progressForwarder(ctx, 'backup'),
      alongside: snapshotting,
    });
  } catch (err) {
    if (err instanceof BackupCopyOffError) {
      const { snapshot } = await snapshotting;
      store(ctx, { ...err.record, snapshot, ...(client ? { client } : {}) });
      throw new StepStopped(err.code, err.message, false, {
        cause: err,
        ...(err.hint ? { hint: err.hint } : {}),
      });
    }
    if (ctx.signal.aborted) throw new RunCancelled('The backup was cancelled');
    // The dump failed or was stopped: the snapshot (short) ends before the step reports, so that
    // nothing of it is left running, and its own failure is reported as when it came first.
    await snapshotting.catch(() => undefined);
    if (snapshotError) throw snapshotError.error;
    throw new StepStopped('BACKUP_FAILED', describeError(err), false, { cause: err });
  } finally {
    ctx.signal.removeEventListener('abort', onCancel);
  }
  const { counts, snapshot } = await snapshotting;
  ctx.scratch.countsBefore = counts;
  store(ctx, { ...record, snapshot, ...(client ? { client } : {}) });
  for (const w of record.warnings) ctx.scratch.warnings.push(`backup: ${w}`);
  const lines = [
    `File: ${record.path} on ${record.host}`,
    ...(client ? [`Client: ${client.version} (${client.pgDump})`] : []),
    `Size: ${formatBytes(record.sizeBytes)}, sha256 ${record.sha256}`,
    `Format: ${record.format === 'directory' ? `directory, ${record.jobs ?? 1} job(s); sha256 of the manifest of its files` : 'custom'}`,
    `Verified: pg_restore --list read ${record.tocEntries} entries`,
    `Row counts: ${describeRowCounts(snapshot)}`,
    ...(record.copyOff ? [`Copy-off: ${record.copyOff.ok ? 'ok' : `FAILED: ${record.copyOff.output}`}`] : []),
    ...(record.deleted.length ? [`Retention removed: ${record.deleted.join(', ')}`] : []),
    '',
    'To restore by hand on that host (libpq asks for the password):',
    record.restoreCommand,
  ];
  ctx.detail('Backup', lines.join('\n'), true);
  return {
    state: 'succeeded',
    summary: `${formatBytes(record.sizeBytes)}, verified (${record.tocEntries} entries), sha256 ${record.sha256.slice(0, 12)}…`,
    detail: { path: record.path, sizeBytes: record.sizeBytes, sha256: record.sha256 },
  };
}

function store(ctx: StepContext, backup: StoredBackup): void {
  ctx.scratch.backup = backup;
  ctx.runs.setBackup(ctx.run.id, backup);
}
