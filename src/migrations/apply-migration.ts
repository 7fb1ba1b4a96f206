/**
 * Runs one migration file on the migration session: as one simple-query script (Prisma's way) or,
 * for files with statements that refuse transaction blocks, statement by statement. Retries on
 * lock_not_available (55P03) with jittered backoff when a retry is safe, and reports blockers.
 */
import type pg from 'pg';
import type { Clock } from '../base/clock.js';
import { SQLSTATE, sqlStateOf } from '../base/sqlstate.js';
import { quoteIdent } from './connection.js';
import type { DeployEvent, InvalidIndex } from './deploy-events.js';
import type { Blocker, SessionWatch } from './session-watch.js';
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
  client: pg.Client;
  watch: SessionWatch;
  clock: Clock;
  policy: RetryPolicy;
  signal?: AbortSignal;
  emit: (e: DeployEvent) => void;
  /** How often the watch looks for blockers while a statement runs (default 100 ms). */
  blockerPollMs?: number;
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
    };

/** Backoff before attempt `attempt + 1`: exponential, capped, with the upper half jittered. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(full / 2 + policy.random() * (full / 2));
}

/** Runs `sql`, collecting the sessions that block it while it waits. */
async function runWatched(ctx: ApplyContext, sql: string): Promise<{ error?: unknown; blockers: Blocker[] }> {
  let blockers: Blocker[] = [];
  const stop = new AbortController();
  const poll = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      await ctx.clock.sleep(ctx.blockerPollMs ?? 100, stop.signal).catch(() => undefined);
      if (stop.signal.aborted) return;
      const seen = await ctx.watch.blockers().catch(() => []);
      if (seen.length > 0) blockers = seen;
    }
  };
  const onAbort = (): void => void ctx.watch.cancel().catch(() => undefined);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const poller = poll();
  try {
    await ctx.client.query(sql);
    return { blockers };
  } catch (error) {
    return { error, blockers };
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
    stop.abort();
    await poller;
  }
}

/** Runs one unit (whole script or one statement) with lock-timeout retries. */
async function runWithRetries(
  ctx: ApplyContext,
  name: string,
  sql: string,
  retryable: boolean,
): Promise<{ error?: unknown; attempts: number; blockers: Blocker[] }> {
  for (let attempt = 1; ; attempt += 1) {
    if (ctx.signal?.aborted) return { error: ctx.signal.reason, attempts: attempt - 1, blockers: [] };
    const { error, blockers } = await runWatched(ctx, sql);
    if (error === undefined) return { attempts: attempt, blockers };
    const canRetry = retryable && !ctx.signal?.aborted && attempt <= ctx.policy.retries;
    if (sqlStateOf(error) !== SQLSTATE.LOCK_NOT_AVAILABLE || !canRetry)
      return { error, attempts: attempt, blockers };
    const delayMs = backoffDelay(ctx.policy, attempt);
    ctx.emit({ kind: 'lock:retry', name, attempt, maxRetries: ctx.policy.retries, delayMs, blockers });
    try {
      await ctx.clock.sleep(delayMs, ctx.signal);
    } catch (reason) {
      return { error: reason, attempts: attempt, blockers };
    }
  }
}

function newInvalid(
  before: Set<string>,
  after: { schema: string; name: string; table: string }[],
): InvalidIndex[] {
  return after
    .filter((i) => !before.has(`${i.schema}.${i.name}`))
    .map((i) => ({
      ...i,
      dropStatement: `DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(i.schema)}.${quoteIdent(i.name)};`,
    }));
}

/**
 * Applies one file. `statements` is the parser's split (null when the parser rejected the file; then
 * it runs as a script and the server reports the error).
 */
export async function applyMigration(
  ctx: ApplyContext,
  name: string,
  script: string,
  statements: SqlStatement[] | null,
  mode: 'script' | 'statements',
): Promise<ApplyOutcome> {
  const hasConcurrent = statements?.some((s) => s.concurrentIndex) ?? false;
  const before = hasConcurrent
    ? new Set((await ctx.watch.invalidIndexes()).map((i) => `${i.schema}.${i.name}`))
    : new Set<string>();
  const units =
    mode === 'script' || !statements
      ? [{ sql: script, retryable: retryableScript(statements) }]
      : statements.map((s) => ({ sql: s.sql, retryable: !s.concurrentIndex && !s.transactionControl }));
  let attempts = 0;
  for (const [i, unit] of units.entries()) {
    if (mode === 'statements')
      ctx.emit({
        kind: 'statement:started',
        name,
        statement: i + 1,
        statements: units.length,
        sql: unit.sql,
      });
    const r = await runWithRetries(ctx, name, unit.sql, unit.retryable);
    attempts = Math.max(attempts, r.attempts);
    if (r.error !== undefined) {
      if (statements?.some((s) => s.transactionControl))
        await ctx.client.query('ROLLBACK').catch(() => undefined);
      const invalidIndexes = hasConcurrent ? newInvalid(before, await ctx.watch.invalidIndexes()) : [];
      return {
        ok: false,
        error: r.error,
        attempts: r.attempts,
        blockers: r.blockers,
        invalidIndexes,
        failedSql: unit.sql,
      };
    }
  }
  return { ok: true, attempts: Math.max(attempts, 1) };
}

/**
 * A whole script is safe to re-run after 55P03 only when it ran as one implicit transaction (no
 * explicit BEGIN/COMMIT splitting it) and nothing in it is non-transactional.
 */
function retryableScript(statements: SqlStatement[] | null): boolean {
  if (!statements) return false;
  return !statements.some((s) => s.transactionControl || s.nonTransactional);
}
