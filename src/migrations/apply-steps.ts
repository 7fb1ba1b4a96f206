/**
 * `steps` files: statement by statement, because the file controls its own transactions, holds a
 * statement that refuses transaction blocks (CONCURRENTLY, VACUUM …) or calls a procedure. Every
 * transaction's id is journaled before its work is sent, so that after a crash `txid_status` tells
 * what committed. Ordinary statements outside the file's own transactions run in one of
 * Drawbridge's; the ledger finish joins the file's last transaction whenever the file ends with one.
 */
import { quoteIdent } from './connection.js';
import type { InvalidIndex } from './deploy-events.js';
import {
  finishSql,
  rollback,
  send,
  withRetries,
  XID_SQL,
  type ApplyContext,
  type ApplyOutcome,
  type MigrationToApply,
  type UnitResult,
} from './apply-primitives.js';
import type { SqlStatement } from './sql-statements.js';

/**
 * Why a `steps` file cannot be run safely (two-phase commit, a transaction left open at the end),
 * or undefined. Pure.
 */
export function stepsProblem(statements: readonly SqlStatement[]): string | undefined {
  let open = false;
  for (const [i, s] of statements.entries()) {
    if (s.txn === 'prepare')
      return `statement ${i + 1} uses two-phase commit (PREPARE TRANSACTION), which a migration must not.`;
    if (s.txn === 'begin') open = true;
    else if ((s.txn === 'commit' || s.txn === 'rollback') && !s.chain) open = false;
  }
  return open
    ? 'it opens a transaction (BEGIN) that it never commits; Prisma would leave the ledger updates inside that open transaction.'
    : undefined;
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

/** Where the file stands while its statements run. */
interface StepsState {
  /** The id of the file's own open transaction (after its BEGIN), else null. */
  userXid: string | null;
  /** Statements run inside the file's open transaction, committed when it commits. */
  pending: number[];
  committed: number[];
  finished: boolean;
}

/** Runs one statement; returns the error that stops the file, if any. */
async function runUnit(
  ctx: ApplyContext,
  m: MigrationToApply,
  s: SqlStatement,
  unit: number,
  last: boolean,
  st: StepsState,
): Promise<UnitResult & { attempts: number }> {
  const journal = (xid: string | null): void =>
    ctx.journal({ kind: 'unit', name: m.name, rowId: m.rowId, unit, xid, sql: s.sql });
  const once = async (sql: string): Promise<UnitResult> => {
    const r = await send(ctx, sql, true);
    return r.error === undefined ? { blockers: [] } : { error: r.error, blockers: ctx.session.blockers };
  };
  if (st.userXid !== null) {
    journal(st.userXid);
    if (s.txn === 'commit' && last && !s.chain) {
      const fin = await send(ctx, finishSql(ctx.ledgerTable, m.rowId, new Date(ctx.clock.now())));
      if (fin.error !== undefined) return { error: fin.error, blockers: [], attempts: 1 };
      st.finished = true;
    }
    const r = await once(s.sql);
    if (r.error !== undefined) return { ...r, attempts: 1 };
    st.pending.push(unit);
    if (s.txn === 'commit' || s.txn === 'rollback') {
      if (s.txn === 'commit') st.committed.push(...st.pending);
      st.pending = [];
      st.userXid = null;
      if (s.chain) return beginOwn(ctx, st);
    }
    return { blockers: [], attempts: 1 };
  }
  if (s.txn === 'begin') {
    const r = await once(s.sql);
    if (r.error !== undefined) return { ...r, attempts: 1 };
    const began = await beginOwn(ctx, st);
    if (began.error === undefined) {
      journal(st.userXid);
      st.pending.push(unit);
    }
    return began;
  }
  if (s.transactionControl || s.nonTransactional || s.call) {
    journal(null);
    const r = await withRetries(ctx, m.name, false, () => once(s.sql));
    if (r.error === undefined) st.committed.push(unit);
    return r;
  }
  // An ordinary statement outside the file's transactions: one transaction of Drawbridge's, its id
  // journaled first, the ledger finish inside it when it is the file's last statement.
  const r = await withRetries(ctx, m.name, !s.concurrentIndex, async () => {
    const begin = await send(ctx, 'BEGIN');
    if (begin.error !== undefined) return { error: begin.error, blockers: [] };
    const xid = await send(ctx, XID_SQL);
    if (xid.error !== undefined || !xid.xid) {
      await rollback(ctx);
      return { error: xid.error ?? new Error('txid_current() returned nothing'), blockers: [] };
    }
    journal(xid.xid);
    const stmt = await once(s.sql);
    if (stmt.error !== undefined) {
      await rollback(ctx);
      return stmt;
    }
    const end = last ? `${finishSql(ctx.ledgerTable, m.rowId, new Date(ctx.clock.now()))};COMMIT` : 'COMMIT';
    const commit = await send(ctx, end);
    if (commit.error !== undefined) {
      await rollback(ctx);
      return { error: commit.error, blockers: stmt.blockers };
    }
    return stmt;
  });
  if (r.error === undefined) {
    st.committed.push(unit);
    if (last) st.finished = true;
  }
  return r;
}

/** After the file's BEGIN (or a chained COMMIT): the id of its transaction. */
async function beginOwn(ctx: ApplyContext, st: StepsState): Promise<UnitResult & { attempts: number }> {
  const xid = await send(ctx, XID_SQL);
  if (xid.error !== undefined || !xid.xid)
    return { error: xid.error ?? new Error('txid_current() returned nothing'), blockers: [], attempts: 1 };
  st.userXid = xid.xid;
  return { blockers: [], attempts: 1 };
}

/** Runs a `steps` file (see the file comment). `m.statements` is the parser's split. */
export async function applySteps(ctx: ApplyContext, m: MigrationToApply): Promise<ApplyOutcome> {
  const statements = m.statements ?? [];
  const hasConcurrent = statements.some((s) => s.concurrentIndex);
  const before = hasConcurrent
    ? new Set((await ctx.session.invalidIndexes()).map((i) => `${i.schema}.${i.name}`))
    : new Set<string>();
  const st: StepsState = { userXid: null, pending: [], committed: [], finished: false };
  let attempts = 1;
  for (const [i, s] of statements.entries()) {
    ctx.emit({
      kind: 'statement:started',
      name: m.name,
      statement: i + 1,
      statements: statements.length,
      sql: s.sql,
    });
    const r = await runUnit(ctx, m, s, i + 1, i === statements.length - 1, st);
    attempts = Math.max(attempts, r.attempts);
    if (r.error !== undefined) {
      if (st.userXid !== null) await rollback(ctx);
      const invalidIndexes =
        hasConcurrent && ctx.session.lostReason === undefined
          ? newInvalid(before, await ctx.session.invalidIndexes().catch(() => []))
          : [];
      return {
        ok: false,
        error: r.error,
        attempts: r.attempts,
        blockers: r.blockers,
        invalidIndexes,
        failedSql: s.sql,
        committed: st.committed,
      };
    }
  }
  if (!st.finished) {
    ctx.journal({ kind: 'finishing', name: m.name, rowId: m.rowId });
    const fin = await send(ctx, finishSql(ctx.ledgerTable, m.rowId, new Date(ctx.clock.now())));
    if (fin.error !== undefined) {
      return {
        ok: false,
        error: fin.error,
        attempts,
        blockers: [],
        invalidIndexes: [],
        failedSql: '',
        committed: st.committed,
      };
    }
  }
  return { ok: true, attempts };
}
