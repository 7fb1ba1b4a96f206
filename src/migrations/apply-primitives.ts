/**
 * What running a migration file is made of: the context, the outcome, the ledger finish as SQL, one
 * query with Cancel wired to it, rollback, and lock-timeout retries with jittered backoff.
 */
import type { Clock } from '../base/clock.js';
import { SQLSTATE, sqlStateOf } from '../base/sqlstate.js';
import type { ApplyMode, JournalEntry } from './apply-journal.js';
import { quoteIdent } from './connection.js';
import type { DeployEvent, InvalidIndex } from './deploy-events.js';
import type { GuardedSession } from './guarded-session.js';
import type { Blocker } from './session-watch.js';
import type { SqlStatement } from './sql-statements.js';

/** Retry policy for lock timeouts. */
export interface RetryPolicy {
  /** Extra attempts after the first (0 = Prisma's behaviour: fail at once). */
  retries: number;
  /** First backoff (default 500 ms), doubled each attempt up to `maxDelayMs` (default 10 000 ms). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Random source in [0, 1) for jitter. */
  random: () => number;
}

/** Everything one migration run needs. */
export interface ApplyContext {
  session: GuardedSession;
  clock: Clock;
  policy: RetryPolicy;
  signal?: AbortSignal;
  emit: (e: DeployEvent) => void;
  journal: (e: JournalEntry) => void;
  /** The ledger table, schema-qualified (the finish must not follow a `SET LOCAL search_path`). */
  ledgerTable: string;
}

/** Commands whose tag counts rows a migration changed. */
const ROW_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);

/** Emits the row counts of a migration's own data changes (their command tags) as `statement:rows` events. */
function reportCommands(ctx: ApplyContext, res: unknown): void {
  for (const r of (Array.isArray(res) ? res : [res]) as {
    command?: string | null;
    rowCount?: number | null;
  }[]) {
    if (r.command && ROW_COMMANDS.has(r.command) && typeof r.rowCount === 'number')
      ctx.emit({ kind: 'statement:rows', command: r.command, rowCount: r.rowCount });
  }
}

/** The file to run. */
export interface MigrationToApply {
  name: string;
  rowId: string;
  script: string;
  /** The parser's split ([] = nothing to split, null = the parser rejected the file). */
  statements: SqlStatement[] | null;
  mode: ApplyMode;
}

/** How one migration ended. */
export type ApplyOutcome =
  | { ok: true; attempts: number }
  | {
      ok: false;
      error: unknown;
      attempts: number;
      blockers: Blocker[];
      invalidIndexes: InvalidIndex[];
      failedSql: string;
      /** 1-based statements that committed before the failure (`steps` files; else empty). */
      committed: number[];
    };

/** Backoff before attempt `attempt + 1`: exponential, capped, with the upper half jittered. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(full / 2 + policy.random() * (full / 2));
}

/**
 * The ledger finish as Prisma leaves the row (applied_steps_count + 1, finished_at from the client
 * clock), as literal SQL so that it can share a round trip with the COMMIT. `id` is a UUID made here.
 */
export function finishSql(ledgerTable: string, rowId: string, finishedAt: Date): string {
  if (!/^[0-9a-f-]{36}$/.test(rowId)) throw new Error(`not a ledger row id: ${rowId}`);
  return (
    `UPDATE ${ledgerTable} SET "applied_steps_count" = ("applied_steps_count" + 1), ` +
    `"finished_at" = '${finishedAt.toISOString()}'::timestamptz WHERE "id" = '${rowId}'`
  );
}

/** Qualifies the ledger table with its schema. */
export function ledgerTableName(schema: string): string {
  return `${quoteIdent(schema)}."_prisma_migrations"`;
}

/** Runs one query on the session; Cancel (the signal) cancels it from a connection of its own. */
export async function send(
  ctx: ApplyContext,
  sql: string,
  /** The migration's own SQL (not BEGIN, the finish or a transaction id): its command tags are reported. */
  own = false,
): Promise<{ error?: unknown; xid?: string }> {
  const onAbort = (): void => void ctx.session.cancel();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await ctx.session.client.query<{ xid?: string }>(sql);
    if (own) reportCommands(ctx, res);
    const rows = Array.isArray(res) ? [] : res.rows;
    return rows[0]?.xid ? { xid: rows[0].xid } : {};
  } catch (error) {
    return { error };
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

/** Rolls back the session's open transaction unless the session is gone. */
export async function rollback(ctx: ApplyContext): Promise<void> {
  if (ctx.session.lostReason !== undefined) return;
  await ctx.session.client.query('ROLLBACK').catch(() => undefined);
}

export const XID_SQL = 'SELECT txid_current()::text AS xid';

export type UnitResult = { error?: unknown; blockers: Blocker[] };

/**
 * Runs `attempt` with lock-timeout retries. `attempt` must leave no transaction open when it fails.
 */
export async function withRetries(
  ctx: ApplyContext,
  name: string,
  retryable: boolean,
  attempt: () => Promise<UnitResult>,
): Promise<UnitResult & { attempts: number }> {
  for (let n = 1; ; n += 1) {
    if (ctx.signal?.aborted) return { error: ctx.signal.reason, attempts: n - 1, blockers: [] };
    ctx.session.blockers = [];
    const r = await attempt();
    if (r.error === undefined) return { ...r, attempts: n };
    const canRetry = retryable && !ctx.signal?.aborted && n <= ctx.policy.retries;
    if (sqlStateOf(r.error) !== SQLSTATE.LOCK_NOT_AVAILABLE || !canRetry || ctx.session.isLost(r.error))
      return { ...r, attempts: n };
    const delayMs = backoffDelay(ctx.policy, n);
    ctx.emit({
      kind: 'lock:retry',
      name,
      attempt: n,
      maxRetries: ctx.policy.retries,
      delayMs,
      blockers: r.blockers,
    });
    try {
      await ctx.clock.sleep(delayMs, ctx.signal);
    } catch (reason) {
      return { error: reason, attempts: n, blockers: r.blockers };
    }
  }
}
