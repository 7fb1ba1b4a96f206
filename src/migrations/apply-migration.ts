/**
 * Runs one migration file on the migration session so that "its SQL committed" and "the ledger says
 * finished" are one fact:
 * - `atomic` files run as one simple-query script inside a transaction Drawbridge opens (its BEGIN
 *   sent with the script, in one round trip); the ledger row's finish (Prisma's values:
 *   applied_steps_count + 1, finished_at) is written in that same transaction, and the COMMIT goes
 *   in the same round trip.
 * - `steps` files run statement by statement (apply-steps.ts).
 * - `opaque` files (the parser rejected them) run Prisma's way: script, then the finish.
 */
import {
  finishSql,
  rollback,
  send,
  withRetries,
  type ApplyContext,
  type ApplyOutcome,
  type MigrationToApply,
} from './apply-primitives.js';
import { applySteps } from './apply-steps.js';
import type { Blocker } from './session-watch.js';

export * from './apply-primitives.js';

/**
 * Opens the transaction in the script's own message: PostgreSQL runs the statements of one simple
 * query in order, so everything after this BEGIN is inside the transaction, and a syntax error
 * anywhere runs nothing (not even the BEGIN). One round trip fewer than BEGIN on its own.
 */
const BEGIN_PREFIX = 'BEGIN;\n';

/** A server error's `position` counts from the start of the message; make it the script's again. */
function withoutPrefix(error: unknown): unknown {
  const e = error as { position?: string } | null;
  const pos = Number(e?.position);
  if (e && Number.isInteger(pos) && pos > BEGIN_PREFIX.length) e.position = String(pos - BEGIN_PREFIX.length);
  return error;
}

/** `atomic`: BEGIN and the script in one round trip; the finish and COMMIT in the next. */
async function applyAtomic(ctx: ApplyContext, m: MigrationToApply): Promise<ApplyOutcome> {
  const r = await withRetries(ctx, m.name, true, async () => {
    const script = await send(ctx, `${BEGIN_PREFIX}${m.script}`, true);
    const blockers = ctx.session.blockers;
    if (script.error !== undefined) {
      await rollback(ctx);
      return { error: withoutPrefix(script.error), blockers };
    }
    if (ctx.signal?.aborted) {
      await rollback(ctx);
      return { error: ctx.signal.reason, blockers };
    }
    const commit = await send(
      ctx,
      `${finishSql(ctx.ledgerTable, m.rowId, new Date(ctx.clock.now()))};COMMIT`,
    );
    if (commit.error !== undefined) await rollback(ctx);
    return commit.error === undefined ? { blockers } : { error: commit.error, blockers };
  });
  if (r.error === undefined) return { ok: true, attempts: r.attempts };
  return failure(r.error, r.attempts, r.blockers, m.script);
}

function failure(error: unknown, attempts: number, blockers: Blocker[], failedSql: string): ApplyOutcome {
  return { ok: false, error, attempts, blockers, invalidIndexes: [], failedSql, committed: [] };
}

/** `opaque`: Prisma's way, the script on its own then the finish. */
async function applyOpaque(ctx: ApplyContext, m: MigrationToApply): Promise<ApplyOutcome> {
  const r = await withRetries(ctx, m.name, false, async () => {
    const script = await send(ctx, m.script, true);
    return script.error === undefined
      ? { blockers: [] }
      : { error: script.error, blockers: ctx.session.blockers };
  });
  if (r.error === undefined) {
    ctx.journal({ kind: 'finishing', name: m.name, rowId: m.rowId });
    const fin = await send(ctx, finishSql(ctx.ledgerTable, m.rowId, new Date(ctx.clock.now())));
    if (fin.error === undefined) return { ok: true, attempts: r.attempts };
    return failure(fin.error, r.attempts, [], '');
  }
  return failure(r.error, r.attempts, r.blockers, m.script);
}

/**
 * Applies one file. Its ledger row (`m.rowId`) exists; on success the row is finished, in the same
 * transaction as the file's last work wherever that is possible.
 */
export async function applyMigration(ctx: ApplyContext, m: MigrationToApply): Promise<ApplyOutcome> {
  if (m.mode === 'atomic') return applyAtomic(ctx, m);
  if (m.mode === 'opaque') return applyOpaque(ctx, m);
  return applySteps(ctx, m);
}
