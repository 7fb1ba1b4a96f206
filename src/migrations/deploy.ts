/**
 * Native `migrate deploy`: Prisma's bookkeeping on one session (advisory lock 72707369, ledger
 * initialisation, one row per migration, each file one simple-query script), plus lock safety:
 * session lock_timeout/statement_timeout, retries on 55P03, cancellation, statement-by-statement
 * execution of files that cannot run in a transaction block.
 */
import type pg from 'pg';
import { systemClock, type Clock } from '../base/clock.js';
import { refusal } from '../base/errors.js';
import { sqlStateOf } from '../base/sqlstate.js';
import { acquireMigrationLock, releaseAdvisoryLock } from './advisory-lock.js';
import { applyMigration } from './apply-migration.js';
import {
  closeSession,
  openSession,
  parseDatabaseUrl,
  quoteIdent,
  type ParsedDatabaseUrl,
} from './connection.js';
import type { DeployEvent, DeployResult } from './deploy-events.js';
import { p3018Logs } from './failure-logs.js';
import { readMigrationsFolder, type MigrationEntry, type MigrationsFolder } from './folder.js';
import {
  insertStartedRow,
  isFailedRow,
  markRowFailed,
  markRowFinished,
  readLedger,
  type LedgerRow,
} from './ledger.js';
import { initializeLedger, p3019Refusal } from './ledger-init.js';
import { SessionWatch } from './session-watch.js';
import { executionMode, mayNeedSplit, splitStatements } from './sql-statements.js';
import { p3009Message } from './status.js';

export type { DeployEvent, DeployResult, DeployFailure, InvalidIndex } from './deploy-events.js';

/** Inputs of a native deploy. Durations in milliseconds; 0 means "not set". */
export interface DeployOptions {
  databaseUrl: string;
  migrationsDir: string;
  clock?: Clock;
  /** How long to wait for advisory lock 72707369 (Prisma: 10 000). Default 10 000. */
  lockWaitMs?: number;
  /** `SET lock_timeout` on the migration session (default 0: as Prisma, wait forever). */
  lockTimeoutMs?: number;
  /** `SET statement_timeout` on the migration session (default 0: none). */
  statementTimeoutMs?: number;
  /** Extra attempts for a file that failed with 55P03 (default 0). */
  lockRetries?: number;
  /** First retry backoff (default 500), doubled per attempt up to `retryMaxDelayMs` (default 10 000). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Aborting cancels the running statement (pg_cancel_backend) and stops the deploy. */
  signal?: AbortSignal;
  onProgress?: (event: DeployEvent) => void;
  /** application_name of the migration session (default "drawbridge deploy"). */
  applicationName?: string;
}

/** Prisma's "pending": folder migrations without a row whose rolled_back_at is NULL. Pure. */
export function pendingForDeploy(folder: MigrationsFolder, ledger: LedgerRow[]): MigrationEntry[] {
  const live = new Set(ledger.filter((r) => r.rolledBackAt === null).map((r) => r.migrationName));
  return folder.migrations.filter((m) => !live.has(m.name));
}

async function prepareSession(
  client: pg.Client,
  parsed: ParsedDatabaseUrl,
  opts: DeployOptions,
): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [parsed.schema]);
  if ((exists.rowCount ?? 0) === 0) await client.query(`CREATE SCHEMA ${quoteIdent(parsed.schema)}`);
  if (opts.lockTimeoutMs) await client.query(`SET lock_timeout = ${Math.floor(opts.lockTimeoutMs)}`);
  if (opts.statementTimeoutMs)
    await client.query(`SET statement_timeout = ${Math.floor(opts.statementTimeoutMs)}`);
  // A migration script is one simple-protocol query: if this process dies mid-way, PostgreSQL would
  // otherwise run it to the end and commit it with nobody to record it in the ledger. From 14 on the
  // server can check for a vanished client while a query runs and abort it instead.
  const version = await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
  if (Number(version.rows[0]?.n ?? 0) >= 140000) {
    await client.query(`SET client_connection_check_interval = ${CLIENT_CHECK_INTERVAL_MS}`);
  }
}

/** How often (ms) the server checks, during a migration, that Drawbridge is still connected. */
export const CLIENT_CHECK_INTERVAL_MS = 1000;

interface RunState {
  client: pg.Client;
  watch: SessionWatch;
  clock: Clock;
  opts: DeployOptions;
  emit: (e: DeployEvent) => void;
  applied: string[];
}

/** Applies the pending list in order; stops at the first failure. */
async function applyAll(st: RunState, pending: MigrationEntry[], started: number): Promise<DeployResult> {
  const { client, clock, opts } = st;
  const done = (outcome: DeployResult['outcome'], extra: Partial<DeployResult> = {}): DeployResult => ({
    outcome,
    applied: st.applied,
    durationMs: clock.now() - started,
    ...extra,
  });
  for (const [index, m] of pending.entries()) {
    if (opts.signal?.aborted) return done('cancelled');
    if (m.script === undefined || m.checksum === undefined) {
      const message = m.problem?.message ?? `Cannot read ${m.name}/migration.sql`;
      st.emit({ kind: 'migration:failed', name: m.name, message, invalidIndexes: [] });
      return done('failed', {
        failure: {
          name: m.name,
          code: m.problem?.code === 'missing_sql' ? 'P3015' : (m.problem?.code ?? 'P3015'),
          message,
          attempts: 0,
          invalidIndexes: [],
          blockers: [],
        },
      });
    }
    // [] = only ordinary transactional statements (no parse needed); null = the parser rejected the file.
    const statements = mayNeedSplit(m.script) ? await splitStatements(m.script).catch(() => null) : [];
    const mode = statements ? executionMode(statements) : 'script';
    const id = await insertStartedRow(client, m.name, m.checksum, new Date(clock.now()));
    st.emit({ kind: 'migration:started', name: m.name, index: index + 1, total: pending.length, mode });
    const t0 = clock.now();
    const policy = {
      retries: opts.lockRetries ?? 0,
      baseDelayMs: opts.retryBaseDelayMs ?? 500,
      maxDelayMs: opts.retryMaxDelayMs ?? 10_000,
      random: opts.random ?? Math.random,
    };
    const ctx = {
      client,
      watch: st.watch,
      clock,
      policy,
      emit: st.emit,
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    const r = await applyMigration(ctx, m.name, m.script, statements, mode);
    if (r.ok) {
      await markRowFinished(client, id, new Date(clock.now()));
      st.applied.push(m.name);
      st.emit({
        kind: 'migration:finished',
        name: m.name,
        durationMs: clock.now() - t0,
        attempts: r.attempts,
      });
      continue;
    }
    const logs = p3018Logs(m.name, r.error, mode === 'script' ? m.script : r.failedSql);
    await markRowFailed(client, id, logs);
    const sqlState = sqlStateOf(r.error);
    const message = r.error instanceof Error ? r.error.message : String(r.error);
    st.emit({
      kind: 'migration:failed',
      name: m.name,
      message,
      invalidIndexes: r.invalidIndexes,
      ...(sqlState ? { sqlState } : {}),
    });
    const failure = {
      name: m.name,
      code: 'P3018',
      message,
      logs,
      attempts: r.attempts,
      invalidIndexes: r.invalidIndexes,
      blockers: r.blockers,
      ...(sqlState ? { sqlState } : {}),
    };
    return done(opts.signal?.aborted ? 'cancelled' : 'failed', { failure });
  }
  return done(st.applied.length === 0 ? 'nothing_to_apply' : 'succeeded');
}

/**
 * Applies every pending migration. Expected "no"s (P3019, lock busy P1002, P3005, P3009) come back
 * as `outcome: 'refused'`; connection faults throw DrawbridgeError (P1xxx).
 */
export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const emit = (e: DeployEvent): void => opts.onProgress?.(e);
  const refused = (r: ReturnType<typeof refusal>): DeployResult => ({
    outcome: 'refused',
    applied: [],
    refusal: r,
    durationMs: clock.now() - started,
  });
  const folder = await readMigrationsFolder(opts.migrationsDir);
  const p3019 = p3019Refusal(folder);
  if (p3019) return refused(p3019);
  const parsed = parseDatabaseUrl(opts.databaseUrl, opts.applicationName ?? 'drawbridge deploy');
  const client = await openSession(parsed);
  let locked = false;
  let watch: SessionWatch | undefined;
  try {
    await prepareSession(client, parsed, opts);
    const waitMs = opts.lockWaitMs ?? 10_000;
    const lock = await acquireMigrationLock(client, {
      waitMs,
      clock,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onWaiting: (w) => emit({ kind: 'lock:waiting', ...w }),
    });
    if (!lock.acquired) {
      const who = lock.holder
        ? ` It is held by pid ${lock.holder.pid} (${lock.holder.applicationName || 'no application_name'}, ${lock.holder.clientAddr ?? 'local socket'}, state ${lock.holder.state}): ${lock.holder.query}`
        : '';
      return refused(
        refusal(
          'P1002',
          `Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Elapsed: ${lock.waitedMs}ms.${who}`,
          'Another migration is running against this database; wait for it to finish, or end the holding session if it is stale.',
        ),
      );
    }
    locked = true;
    emit({ kind: 'lock:acquired', waitedMs: lock.waitedMs });
    const init = await initializeLedger(client, parsed.schema);
    if (init) return refused(init);
    const ledger = (await readLedger(client)) ?? [];
    const failed = ledger.filter(isFailedRow);
    if (failed.length > 0)
      return refused(
        refusal(
          'P3009',
          p3009Message(failed),
          `Use resolve --rolled-back "${failed[0]?.migrationName}" after reverting its effects, or resolve --applied after completing it by hand.`,
        ),
      );
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    watch = await SessionWatch.open(parsed, pid);
    return await applyAll(
      { client, watch, clock, opts, emit, applied: [] },
      pendingForDeploy(folder, ledger),
      started,
    );
  } finally {
    if (watch) await watch.close();
    if (locked) await releaseAdvisoryLock(client).catch(() => undefined);
    await closeSession(client);
  }
}
