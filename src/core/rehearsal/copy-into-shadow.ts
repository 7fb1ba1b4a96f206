/**
 * The first half of a rehearsal: the environment's data into its (just emptied) shadow database, with
 * the existing backup code through the environment's executor — the newest verified backup restored
 * when it is recent enough, else a fresh `pg_dump` restored, or the schema and the migrations ledger
 * only (`rehearsal.data: schema-only`). The restore is `restoreBackup`'s: one transaction, all or nothing.
 */
import { DrawbridgeError } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import type { RehearsalConfig } from '../../config/rehearsal-schema.js';
import type { RunStore } from '../../store/run-store.js';
import { createBackup, restoreBackup } from '../backup/index.js';
import { pgConnection } from '../backup/pg-connection.js';
import { runChecked } from '../backup/run-checked.js';
import type { CoreDeps } from '../deps.js';
import type { EnvironmentTarget } from '../environment-target.js';
import { backupDirOf } from '../pipeline/preflight-checks.js';
import { storedBackupOf } from '../pipeline/run-view.js';
import type { ShadowDatabase } from '../shadow/shadow-database.js';
import { chooseSource, type BackupCandidate } from './choose-source.js';
import type { RehearsalSource } from './types.js';

export interface CopyInput {
  readonly deps: CoreDeps;
  readonly runs: RunStore;
  readonly target: EnvironmentTarget;
  readonly shadow: ShadowDatabase;
  readonly config: RehearsalConfig;
  readonly rehearsalId: string;
  readonly signal: AbortSignal;
  readonly phase: (text: string) => void;
}

const CODES = { failed: 'REHEARSAL_COPY_FAILED', cancelled: 'REHEARSAL_CANCELLED' };

/** The environment's verified backups whose file is still on its host. */
async function backupsOnHost(input: CopyInput): Promise<BackupCandidate[]> {
  const out: BackupCandidate[] = [];
  for (const run of input.runs.listRecentRuns(input.target.name, 25)) {
    const b = storedBackupOf(run);
    const takenAt = b ? Date.parse(b.startedAt) : NaN;
    if (!b || !Number.isFinite(takenAt)) continue;
    const probe = await input.target.executor
      .run({ command: 'test', args: ['-e', b.path], timeoutMs: 10_000 }) // a directory-format backup too
      .catch(() => undefined);
    if (probe?.exitCode !== 0) continue;
    out.push({
      runId: run.id,
      path: b.path,
      fileName: b.fileName,
      sha256: b.sha256,
      sizeBytes: b.sizeBytes,
      takenAt,
    });
  }
  return out;
}

/** Copies the target's `_prisma_migrations` rows into the shadow (after a schema-only restore). */
async function copyLedger(target: EnvironmentTarget, shadow: ShadowDatabase): Promise<void> {
  const from = await openSession(parseDatabaseUrl(target.url, 'drawbridge rehearsal'));
  const to = await openSession(parseDatabaseUrl(shadow.url, 'drawbridge rehearsal'));
  try {
    const rows = await from
      .query(`SELECT row_to_json(m)::text AS j FROM "_prisma_migrations" m`)
      .then((r) => r.rows as { j: string }[])
      .catch(() => []);
    for (const { j } of rows)
      await to.query(
        `INSERT INTO "_prisma_migrations" SELECT * FROM json_populate_record(NULL::"_prisma_migrations", $1::json)`,
        [j],
      );
  } finally {
    await closeSession(from);
    await closeSession(to);
  }
}

/** Dumps the target to a file next to its backups (schema only, or all), for one restore. */
async function freshDump(
  input: CopyInput,
  schemaOnly: boolean,
): Promise<{ path: string; sizeBytes: number }> {
  const { target, signal, deps } = input;
  const dir = `${backupDirOf(deps, target.config).replace(/\/+$/, '')}/rehearsals`;
  if (!schemaOnly) {
    const record = await createBackup({
      executor: target.executor,
      databaseUrl: target.executorUrl,
      environment: target.name,
      runId: `rehearsal-${input.rehearsalId}`,
      dir,
      keep: 0,
      signal,
      clock: deps.clock,
      onProgress: (p) => input.phase(`pg_dump: ${p.message}`),
    });
    return { path: record.path, sizeBytes: record.sizeBytes };
  }
  const conn = pgConnection(target.executorUrl);
  const path = `${dir}/${target.name}-schema-${input.rehearsalId}.dump`;
  await runChecked(
    target.executor,
    { command: 'mkdir', args: ['-p', '-m', '700', '--', dir], signal },
    'mkdir',
    CODES,
  );
  await runChecked(
    target.executor,
    {
      command: 'pg_dump',
      args: [
        '--format=custom',
        '--schema-only',
        '--no-password',
        '--file',
        path,
        ...conn.args,
        '--dbname',
        conn.database,
      ],
      env: conn.env,
      signal,
    },
    'pg_dump --schema-only',
    CODES,
  );
  return { path, sizeBytes: 0 };
}

/** Empties the shadow and puts a copy of the target in it. Throws DrawbridgeError on failure. */
export async function copyIntoShadow(input: CopyInput): Promise<RehearsalSource> {
  const { deps, target, shadow, config, signal } = input;
  const started = deps.clock.now();
  input.phase(`Emptying the shadow database ${shadow.display}`);
  await shadow.reset();
  const choice = chooseSource({
    data: config.data,
    maxBackupAgeHours: config.maxBackupAgeHours,
    now: started,
    backups: config.data === 'full' ? await backupsOnHost(input) : [],
  });
  const restore = (path: string, expectedSha256?: string): Promise<unknown> =>
    restoreBackup({
      executor: target.executor,
      databaseUrl: shadow.executorUrl,
      path,
      ...(expectedSha256 ? { expectedSha256 } : {}),
      signal,
      clock: deps.clock,
      applicationName: `drawbridge rehearsal restore ${target.name}`,
      onProgress: (p) => input.phase(`Restore: ${p.message}`),
    });
  if (choice.kind === 'backup') {
    const b = choice.backup;
    input.phase(`Restoring backup ${b.fileName} into the shadow`);
    await restore(b.path, b.sha256);
    return {
      kind: 'backup',
      takenAt: b.takenAt,
      sizeBytes: b.sizeBytes,
      fileName: b.fileName,
      runId: b.runId,
      restoreMs: deps.clock.now() - started,
    };
  }
  const schemaOnly = choice.kind === 'schema-only';
  input.phase(schemaOnly ? 'Dumping the schema of the target' : 'Dumping the target (pg_dump)');
  const takenAt = deps.clock.now();
  const dump = await freshDump(input, schemaOnly);
  try {
    input.phase('Restoring the dump into the shadow');
    await restore(dump.path);
    if (schemaOnly) await copyLedger(target, shadow);
  } finally {
    await target.executor.run({ command: 'rm', args: ['-f', '--', dump.path] }).catch(() => undefined);
  }
  if (signal.aborted) throw new DrawbridgeError('REHEARSAL_CANCELLED', 'The rehearsal was cancelled');
  return {
    kind: schemaOnly ? 'schema-only' : 'dump',
    takenAt,
    sizeBytes: schemaOnly ? null : dump.sizeBytes,
    ...(choice.kind === 'dump' && choice.note ? { note: choice.note } : {}),
    restoreMs: deps.clock.now() - started,
  };
}
