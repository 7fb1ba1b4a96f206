/**
 * Step 4: the backup. A snapshot is taken first (the schema, exact row counts of the critical tables
 * and catalogue estimates for the others), so a restore can be compared with the database as it was;
 * then pg_dump, checksum and verification in one read, copy-off, retention. The record, with the
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
  ctx.progress('Taking a schema and row-count snapshot (exact for the critical tables)');
  // The snapshot and the dump run on the target's executor, given the database as that host sees it.
  // Exact counts only where they matter: counting every row would cost as much as the dump.
  const schema = quoteIdent(parseDatabaseUrl(target.url, 'drawbridge backup').schema);
  const [counted, snapshotRead] = await Promise.allSettled([
    countRows(target.url, env.criticalTables),
    snapshotDatabase({
      executor: target.executor,
      databaseUrl: target.executorUrl,
      signal: ctx.signal,
      exactTables: env.criticalTables.map((t) => `${schema}.${quoteIdent(t)}`),
      ...commands,
    }),
  ]);
  if (counted.status === 'rejected') throw counted.reason;
  if (snapshotRead.status === 'rejected') throw snapshotRead.reason;
  const snapshot = snapshotRead.value;
  ctx.scratch.countsBefore = counted.value;
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
      signal: ctx.signal,
      clock: ctx.deps.clock,
      onProgress: progressForwarder(ctx, 'backup'),
    });
  } catch (err) {
    if (err instanceof BackupCopyOffError) {
      store(ctx, { ...err.record, snapshot, ...(client ? { client } : {}) });
      throw new StepStopped(err.code, err.message, false, {
        cause: err,
        ...(err.hint ? { hint: err.hint } : {}),
      });
    }
    if (ctx.signal.aborted) throw new RunCancelled('The backup was cancelled');
    throw new StepStopped('BACKUP_FAILED', describeError(err), false, { cause: err });
  }
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
