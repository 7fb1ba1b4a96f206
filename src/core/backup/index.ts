/** Backups and the restore way back: pg_dump/pg_restore through an Executor. */
export {
  BackupCopyOffError,
  createBackup,
  restoreCommandFor,
  type BackupOptions,
  type BackupRecord,
} from './create-backup.js';
export {
  restoreBackup,
  restoreScriptPath,
  type RestoreOptions,
  type RestoreResult,
} from './restore-backup.js';
export {
  compareSnapshots,
  describeRowCounts,
  exactTablesOf,
  normaliseSchemaDump,
  parseRowCounts,
  rowCountSql,
  snapshotDatabase,
  type DatabaseSnapshot,
  type SnapshotComparison,
  type SnapshotOptions,
} from './snapshot.js';
export { fileSize, sha256File, verifyBackup, type VerifyOptions } from './verify-backup.js';
export {
  applyRetention,
  backupFileName,
  compactTimestamp,
  isBackupFileOf,
  selectExpired,
} from './backup-files.js';
export { runCopyOff, substituteFile, type CopyOffResult } from './copy-off.js';
export {
  checkPgDumpVersion,
  estimateBackupSize,
  freeDiskBytes,
  serverMajorOf,
  type PgDumpVersionCheck,
} from './preflight.js';
export { pgConnection, publicEnv, type PgConnection } from './pg-connection.js';
export {
  choosePgClient,
  clientMajorOf,
  findClientCandidates,
  rankCandidates,
  STANDARD_CLIENT_ROOTS,
  type ClientCandidate,
  type ClientRoot,
  type PgClient,
  type PgClientChoice,
} from './pg-client.js';
export {
  etaOf,
  formatDuration,
  PROGRESS_INTERVAL_MS,
  startTicker,
  type BackupProgress,
  type ProgressAmount,
  type ProgressListener,
  type Ticker,
} from './progress.js';
export { dumpFormatArgs, type BackupFormat } from './dump-and-verify.js';
export {
  backupSha256,
  directoryManifest,
  isDirectory,
  manifestOf,
  type DirectoryManifest,
  type ManifestEntry,
} from './backup-manifest.js';
export { DumpProgress, type DumpEstimate } from './dump-progress.js';
export { RestoreProgress, tableDataEntries } from './restore-progress.js';
export {
  ensureBackupFile,
  substituteCopyBack,
  type BackupFileReady,
  type BackupFileRef,
  type CopyBackOptions,
} from './copy-back.js';
