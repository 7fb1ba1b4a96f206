/**
 * Native `migrate deploy`: Prisma's bookkeeping on one session (advisory lock 72707369, ledger
 * initialisation, one row per migration), with the SQL and the ledger finish committed together
 * (apply-migration.ts), exactly the approved bytes (prepare-file.ts), a watchdog on the session
 * (guarded-session.ts), and the outcome after a lost session decided from evidence (outcome-check.ts).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { systemClock, type Clock } from '../base/clock.js';
import { describeError, refusal } from '../base/errors.js';
import { sqlStateOf } from '../base/sqlstate.js';
import { acquireMigrationLock, releaseAdvisoryLock } from './advisory-lock.js';
import {
  cleanFailureOutcome,
  lastMigration,
  type JournalEntry,
  type JournalSink,
  type MigrationOutcome,
} from './apply-journal.js';
import { applyMigration, ledgerTableName, type ApplyContext } from './apply-migration.js';
import { parseDatabaseUrl, quoteIdent, type ParsedDatabaseUrl } from './connection.js';
import type { DeployEvent, DeployFailure, DeployResult } from './deploy-events.js';
import { p3018Logs } from './failure-logs.js';
import { readMigrationsFolder, type MigrationEntry, type MigrationsFolder } from './folder.js';
import { DEFAULT_WATCHDOG, GuardedSession, type WatchdogOptions } from './guarded-session.js';
import { insertStartedRow, isFailedRow, markRowFailed, readLedger, type LedgerRow } from './ledger.js';
import { initializeLedger, p3019Refusal } from './ledger-init.js';
import { checkOutcome } from './outcome-check.js';
import { prepareFile } from './prepare-file.js';
import { prisma8Refusal } from './prisma8-layout.js';
import { compareWithApproved } from './plan-binding.js';
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
  /** Aborting stops the deploy before the next migration; the one under way finishes (shutdown). */
  stopBetween?: AbortSignal;
  onProgress?: (event: DeployEvent) => void;
  /** application_name of the migration session (default "drawbridge deploy"). */
  applicationName?: string;
  /**
   * The approved plan: exactly these migrations, by name and checksum and in this order, may be
   * applied. Anything else pending, or any file whose bytes differ, refuses the deploy before a
   * byte is sent.
   */
  expected?: readonly { readonly name: string; readonly checksum: string }[];
  /** Receives the apply journal; must store each entry durably before returning. */
  journal?: JournalSink;
  /** The watchdog on the migration session (defaults: DEFAULT_WATCHDOG). */
  watchdog?: Partial<WatchdogOptions>;
  /** How long to try to reach the database after a lost session to decide the outcome (default 60 000). */
  outcomeWaitMs?: number;
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
const CLIENT_CHECK_INTERVAL_MS = 1000;

interface RunState {
  session: GuardedSession;
  journalled: JournalEntry[];
  parsed: ParsedDatabaseUrl;
  clock: Clock;
  opts: DeployOptions;
  emit: (e: DeployEvent) => void;
  journal: JournalSink;
  ledgerTable: string;
  applied: string[];
}

/** Applies the pending list in order; stops at the first failure. */
async function applyAll(
  st: RunState,
  pending: MigrationEntry[],
  approved: ReadonlyMap<string, string> | undefined,
  started: number,
): Promise<DeployResult> {
  const { clock, opts } = st;
  const done = (outcome: DeployResult['outcome'], extra: Partial<DeployResult> = {}): DeployResult => ({
    outcome,
    applied: st.applied,
    durationMs: clock.now() - started,
    ...extra,
  });
  const policy = {
    retries: opts.lockRetries ?? 0,
    baseDelayMs: opts.retryBaseDelayMs ?? 500,
    maxDelayMs: opts.retryMaxDelayMs ?? 10_000,
    random: opts.random ?? Math.random,
  };
  const ctx: ApplyContext = {
    session: st.session,
    clock,
    policy,
    emit: st.emit,
    journal: st.journal,
    ledgerTable: st.ledgerTable,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  for (const [index, m] of pending.entries()) {
    if (opts.signal?.aborted) return done('cancelled');
    if (opts.stopBetween?.aborted) return done('stopped');
    const file = await prepareFile(m, approved?.get(m.name));
    if (!file.ok) {
      st.emit({ kind: 'migration:failed', name: m.name, message: file.message, invalidIndexes: [] });
      const failure = {
        name: m.name,
        code: file.code,
        message: file.message,
        attempts: 0,
        invalidIndexes: [],
        blockers: [],
      };
      return done('failed', {
        failure: { ...failure, evidence: { verdict: 'not_applied', message: `${m.name} was not sent.` } },
      });
    }
    const rowId = randomUUID();
    const units = file.mode === 'steps' ? (file.statements?.length ?? 1) : 1;
    st.journal({
      kind: 'migration',
      name: m.name,
      checksum: file.checksum,
      rowId,
      mode: file.mode,
      pid: st.session.pid,
      units,
    });
    const mode = file.mode === 'steps' ? 'statements' : 'script';
    const t0 = clock.now();
    const inserted = await insertStartedRow(
      st.session.client,
      m.name,
      file.checksum,
      new Date(t0),
      rowId,
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (inserted !== undefined) return lostOrThrow(st, m.name, inserted, done);
    st.emit({ kind: 'migration:started', name: m.name, index: index + 1, total: pending.length, mode });
    const r = await applyMigration(ctx, {
      name: m.name,
      rowId,
      script: file.script,
      statements: file.statements,
      mode: file.mode,
    });
    if (r.ok) {
      st.applied.push(m.name);
      st.emit({
        kind: 'migration:finished',
        name: m.name,
        durationMs: clock.now() - t0,
        attempts: r.attempts,
      });
      continue;
    }
    if (st.session.isLost(r.error)) return lostOrThrow(st, m.name, r.error, done);
    const logs = p3018Logs(m.name, r.error, mode === 'script' ? file.script : r.failedSql);
    await markRowFailed(st.session.client, rowId, logs);
    const sqlState = sqlStateOf(r.error);
    const message = r.error instanceof Error ? r.error.message : String(r.error);
    st.emit({
      kind: 'migration:failed',
      name: m.name,
      message,
      invalidIndexes: r.invalidIndexes,
      ...(sqlState ? { sqlState } : {}),
    });
    const failure: DeployFailure = {
      name: m.name,
      code: 'P3018',
      message,
      logs,
      attempts: r.attempts,
      invalidIndexes: r.invalidIndexes,
      blockers: r.blockers,
      evidence: cleanFailureOutcome(m.name, file.mode, r.committed, units),
      ...(sqlState ? { sqlState } : {}),
    };
    return done(opts.signal?.aborted ? 'cancelled' : 'failed', { failure });
  }
  return done(st.applied.length === 0 ? 'nothing_to_apply' : 'succeeded');
}

/**
 * The migration session was lost while `name` ran (or its row was being written): decide its outcome
 * from a fresh connection, from evidence only, and record a failed row the way Prisma would.
 */
async function lostOrThrow(
  st: RunState,
  name: string,
  err: unknown,
  done: (outcome: DeployResult['outcome'], extra?: Partial<DeployResult>) => DeployResult,
): Promise<DeployResult> {
  if (!st.session.isLost(err)) throw err;
  st.session.declareLost(describeError(err));
  const last = lastMigration(st.journalled);
  const reason = st.session.lostReason ?? describeError(err);
  const evidence: MigrationOutcome = last
    ? await checkOutcome(st.parsed, last.start, last.after, {
        clock: st.clock,
        waitMs: st.opts.outcomeWaitMs ?? 60_000,
        applicationPrefix: 'drawbridge deploy',
      })
    : { verdict: 'not_applied', message: `${name} was not sent.` };
  if (evidence.verdict === 'applied') st.applied.push(name);
  const message = `${reason} — ${evidence.message}`;
  st.emit({ kind: 'migration:failed', name, message, invalidIndexes: [] });
  return done(st.opts.signal?.aborted ? 'cancelled' : 'failed', {
    failure: {
      name,
      code: 'CONNECTION_LOST',
      message,
      attempts: 1,
      invalidIndexes: [],
      blockers: [],
      evidence,
    },
  });
}

/**
 * Applies every pending migration. Expected "no"s (P3019, lock busy P1002, P3005, P3009, a plan that
 * is not the approved one) come back as `outcome: 'refused'`; connection faults throw DrawbridgeError
 * (P1xxx) before anything is sent, and are decided from evidence once something was.
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
  const p3019 = prisma8Refusal(folder.prisma8) ?? p3019Refusal(folder);
  if (p3019) return refused(p3019);
  const parsed = parseDatabaseUrl(opts.databaseUrl, opts.applicationName ?? 'drawbridge deploy');
  const watchdog = { ...DEFAULT_WATCHDOG, ...opts.watchdog };
  const session = await GuardedSession.open(parsed, clock, watchdog, () => emit({ kind: 'heartbeat' }));
  const client = session.client;
  let locked = false;
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
    const pending = pendingForDeploy(folder, ledger);
    if (opts.expected) {
      const differs = compareWithApproved(pending, opts.expected);
      if (differs)
        return refused(
          refusal(
            'PLAN_CHANGED',
            `Nothing was applied: what is pending is not what was approved. ${differs}`,
            'Request the deploy again so that the new plan can be reviewed and approved.',
          ),
        );
    }
    const journalled: JournalEntry[] = [];
    const journal = (e: JournalEntry): void => {
      journalled.push(e);
      opts.journal?.(e);
    };
    const approved = opts.expected ? new Map(opts.expected.map((e) => [e.name, e.checksum])) : undefined;
    return await applyAll(
      {
        session,
        parsed,
        clock,
        opts,
        emit,
        journal,
        journalled,
        ledgerTable: await ledgerTable(client),
        applied: [],
      },
      pending,
      approved,
      started,
    );
  } finally {
    if (session.lostReason === undefined) {
      if (locked) await releaseAdvisoryLock(client).catch(() => undefined);
      // The session is a direct one (core refuses poolers), so its settings die with it; reset them
      // anyway, so that nothing prepareSession set could outlive the deploy on a reused connection.
      await client.query('RESET ALL').catch(() => undefined);
    }
    await session.close();
  }
}

/** The ledger table the session's search_path resolves to, schema-qualified. */
async function ledgerTable(client: pg.Client): Promise<string> {
  const r = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass('"_prisma_migrations"')`,
  );
  const schema = r.rows[0]?.schema;
  return schema ? ledgerTableName(schema) : '"_prisma_migrations"';
}
