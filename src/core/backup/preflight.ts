/** Backup-related preflight facts: database size, pg_dump version, free disk in the backup dir. */
import { posix } from 'node:path';
import type pg from 'pg';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { DrawbridgeError, describeError } from '../../base/errors.js';
import { safeDatabaseUrl } from '../../base/redact.js';
import type { Executor } from '../../exec/executor.js';
import { runChecked } from './run-checked.js';

/** Bytes the database takes on disk (`pg_database_size`): the preflight wants 2× this free. */
export async function estimateBackupSize(databaseUrl: string, connectionTimeoutMs = 10_000): Promise<number> {
  let client: pg.Client | undefined;
  try {
    const parsed = parseDatabaseUrl(databaseUrl, 'drawbridge preflight');
    client = await openSession({
      ...parsed,
      clientConfig: {
        ...parsed.clientConfig,
        connectionTimeoutMillis: connectionTimeoutMs,
        query_timeout: 30_000,
      },
    });
    const res = await client.query<{ size: string }>(
      'select pg_database_size(current_database())::text as size',
    );
    return Number(res.rows[0]?.size ?? 0);
  } catch (cause) {
    throw new DrawbridgeError(
      'BACKUP_ESTIMATE_FAILED',
      `Could not read the size of ${safeDatabaseUrl(databaseUrl)}: ${describeError(cause)}`,
      { cause, hint: cause instanceof DrawbridgeError ? cause.hint : undefined },
    );
  } finally {
    if (client) await closeSession(client);
  }
}

/** The result of comparing pg_dump's major version with the server's. */
export interface PgDumpVersionCheck {
  ok: boolean;
  /** e.g. "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"; empty when pg_dump could not run. */
  pgDumpVersion: string;
  pgDumpMajor: number | null;
  serverMajor: number;
  message: string;
  hint?: string;
}

/** Major version from `server_version_num` (150018 → 15; 90624 → 9, close enough for 9.x). */
export function serverMajorOf(serverVersionNum: number): number {
  return Math.floor(serverVersionNum / 10000);
}

/** pg_dump refuses servers newer than itself: its major must be ≥ the server's. */
export async function checkPgDumpVersion(
  executor: Executor,
  serverVersionNum: number,
  pgDumpCommand = 'pg_dump',
): Promise<PgDumpVersionCheck> {
  const serverMajor = serverMajorOf(serverVersionNum);
  if (!Number.isFinite(serverMajor) || serverMajor <= 0) {
    throw new DrawbridgeError('BACKUP_BAD_VERSION', `Not a server_version_num: ${String(serverVersionNum)}`);
  }
  const hint = `Install postgresql-client-${serverMajor} (or newer) on ${executor.description}.`;
  let version = '';
  try {
    const r = await executor.run({ command: pgDumpCommand, args: ['--version'] });
    version = r.stdout.trim();
  } catch (err) {
    return {
      ok: false,
      pgDumpVersion: '',
      pgDumpMajor: null,
      serverMajor,
      message: describeError(err),
      hint,
    };
  }
  const m = /\b(\d+)(?:\.(\d+))?/.exec(version.replace(/^[^)]*\)/, ''));
  const pgDumpMajor = m?.[1] ? Number(m[1]) : null;
  if (pgDumpMajor === null) {
    return {
      ok: false,
      pgDumpVersion: version,
      pgDumpMajor,
      serverMajor,
      message: `Cannot read the pg_dump version from "${version}"`,
      hint,
    };
  }
  const ok = pgDumpMajor >= serverMajor;
  const message = ok
    ? `pg_dump ${pgDumpMajor} can dump a PostgreSQL ${serverMajor} server`
    : `pg_dump ${pgDumpMajor} is older than the PostgreSQL ${serverMajor} server and would refuse to dump it`;
  return ok
    ? { ok, pgDumpVersion: version, pgDumpMajor, serverMajor, message }
    : { ok, pgDumpVersion: version, pgDumpMajor, serverMajor, message, hint };
}

/**
 * Free bytes for an unprivileged user in the file system holding `dir` (`df -P -k`), on the
 * executor's host. A directory that does not exist yet is measured at its nearest existing parent.
 */
export async function freeDiskBytes(executor: Executor, dir: string, signal?: AbortSignal): Promise<number> {
  const codes = { failed: 'DISK_CHECK_FAILED', cancelled: 'DISK_CHECK_CANCELLED' };
  let probe = posix.normalize(dir);
  for (;;) {
    const r = await executor.run({ command: 'df', args: ['-P', '-k', '--', probe], signal });
    if (r.exitCode === 0) {
      const fields = r.stdout.trim().split('\n').pop()?.trim().split(/\s+/) ?? [];
      const availableKb = Number(fields[3]);
      if (!Number.isFinite(availableKb))
        throw new DrawbridgeError(codes.failed, `Unexpected df output: ${r.stdout}`);
      return availableKb * 1024;
    }
    const parent = posix.dirname(probe);
    if (parent === probe || r.cancelled) {
      await runChecked(executor, { command: 'df', args: ['-P', '-k', '--', probe], signal }, 'df', codes);
      throw new DrawbridgeError(codes.failed, `Cannot measure free disk for ${dir}`);
    }
    probe = parent;
  }
}
