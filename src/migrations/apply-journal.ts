/**
 * The apply journal: what the engine is about to send, written (by the caller, durably) before it is
 * sent. After a crash or a lost connection it is the evidence, together with the ledger row and
 * `txid_status`, from which `decideOutcome` tells whether a migration committed. Plain data.
 */

/** How a migration file is run (see `applyMode` in sql-statements.ts). */
export type ApplyMode = 'atomic' | 'steps' | 'opaque';

/** One journal entry, in order. */
export type JournalEntry =
  /** A migration is about to get its ledger row (`rowId`) and be sent on session `pid`. */
  | {
      readonly kind: 'migration';
      readonly name: string;
      readonly checksum: string;
      readonly rowId: string;
      readonly mode: ApplyMode;
      readonly pid: number;
      /** Number of statements sent one by one (`steps`), else 1. */
      readonly units: number;
    }
  /**
   * Statement `unit` (1-based) of a `steps` migration is about to be sent. `xid` is the transaction
   * it runs in (null for a statement that runs outside any transaction block, e.g. CONCURRENTLY).
   */
  | {
      readonly kind: 'unit';
      readonly name: string;
      readonly rowId: string;
      readonly unit: number;
      readonly xid: string | null;
      readonly sql: string;
    }
  /** Every statement of a `steps` migration ran; the ledger's finish is written next, on its own. */
  | { readonly kind: 'finishing'; readonly name: string; readonly rowId: string };

/** Receives journal entries; must have stored the entry when it returns. */
export type JournalSink = (entry: JournalEntry) => void;

/** What a fresh connection saw, the evidence besides the journal. */
export interface OutcomeEvidence {
  /** The migration's ledger row, or null when it does not exist. */
  readonly row: { readonly finished: boolean; readonly rolledBack: boolean } | null;
  /** Whether the session that ran it (journal `pid`) is still connected. */
  readonly backendAlive: boolean;
  /** `txid_status` of each journaled transaction id. */
  readonly xidStatus: ReadonlyMap<string, 'committed' | 'aborted' | 'in progress' | null>;
}

/** What is known about one migration whose session was lost. */
export type MigrationOutcome =
  | { readonly verdict: 'applied'; readonly message: string }
  | { readonly verdict: 'not_applied'; readonly message: string }
  | { readonly verdict: 'partial'; readonly committed: readonly number[]; readonly message: string }
  | { readonly verdict: 'applied_unrecorded'; readonly message: string }
  | { readonly verdict: 'running'; readonly message: string }
  | { readonly verdict: 'unknown'; readonly message: string };

/** The journal entries of the last migration the journal started, or undefined when none. */
export function lastMigration(
  journal: readonly JournalEntry[],
): { start: Extract<JournalEntry, { kind: 'migration' }>; after: JournalEntry[] } | undefined {
  let index = -1;
  journal.forEach((e, i) => {
    if (e.kind === 'migration') index = i;
  });
  if (index < 0) return undefined;
  const start = journal[index] as Extract<JournalEntry, { kind: 'migration' }>;
  return { start, after: journal.slice(index + 1).filter((e) => e.kind !== 'migration') };
}

/**
 * Decides from evidence what happened to the last migration of a journal. Never guesses: where the
 * evidence does not settle it the verdict is `unknown` (or `running` while its session lives). Pure.
 */
export function decideOutcome(
  start: Extract<JournalEntry, { kind: 'migration' }>,
  after: readonly JournalEntry[],
  evidence: OutcomeEvidence,
): MigrationOutcome {
  const name = start.name;
  if (evidence.row === null)
    return { verdict: 'not_applied', message: `${name} has no ledger row: it was never sent.` };
  if (evidence.row.finished)
    return { verdict: 'applied', message: `${name} committed: the ledger records it as finished.` };
  if (evidence.row.rolledBack)
    return { verdict: 'not_applied', message: `${name} is already resolved as rolled back in the ledger.` };
  if (evidence.backendAlive) {
    return {
      verdict: 'running',
      message: `${name} is still running on the database (pid ${start.pid}); its outcome is not decided yet.`,
    };
  }
  if (start.mode === 'atomic') {
    return {
      verdict: 'not_applied',
      message: `${name} did not commit: it ran in one transaction together with its ledger entry, and the ledger does not record it as finished.`,
    };
  }
  if (start.mode === 'opaque') {
    return {
      verdict: 'unknown',
      message: `${name} ran as one script that Drawbridge could not parse, so it could not be wrapped in a transaction; whether it committed is unknown.`,
    };
  }
  return decideSteps(start, after, evidence);
}

function decideSteps(
  start: Extract<JournalEntry, { kind: 'migration' }>,
  after: readonly JournalEntry[],
  evidence: OutcomeEvidence,
): MigrationOutcome {
  const name = start.name;
  const units = after.filter((e): e is Extract<JournalEntry, { kind: 'unit' }> => e.kind === 'unit');
  const finishing = after.some((e) => e.kind === 'finishing');
  const statusOf = (xid: string | null): string | null =>
    xid === null ? null : (evidence.xidStatus.get(xid) ?? null);
  if (units.some((u) => statusOf(u.xid) === 'in progress')) {
    return { verdict: 'running', message: `A transaction of ${name} is still open on the database.` };
  }
  const last = units[units.length - 1];
  const committed: number[] = [];
  for (const u of units) {
    // A statement outside any transaction block that the journal moved past ran to its end.
    if (u.xid === null ? u !== last || finishing : statusOf(u.xid) === 'committed') committed.push(u.unit);
  }
  if (finishing && committed.length === units.length) {
    return {
      verdict: 'applied_unrecorded',
      message: `Every statement of ${name} committed, but the ledger's finish was not written.`,
    };
  }
  if (last && last.xid === null && !finishing) {
    return {
      verdict: 'unknown',
      message: `${name} was running statement ${last.unit} of ${start.units}, which runs outside a transaction (${oneLine(last.sql)}); whether it completed is unknown.`,
    };
  }
  if (last && last.xid !== null && statusOf(last.xid) === null) {
    return {
      verdict: 'unknown',
      message: `The transaction of statement ${last.unit} of ${name} (xid ${last.xid}) is too old for PostgreSQL to report; its outcome is unknown.`,
    };
  }
  if (committed.length === 0) {
    return {
      verdict: 'not_applied',
      message: `No statement of ${name} committed (every journaled transaction was rolled back).`,
    };
  }
  return {
    verdict: 'partial',
    committed,
    message: `${name} is partly applied: statement(s) ${committed.join(', ')} of ${start.units} committed, the rest did not.`,
  };
}

function oneLine(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** How a person can check a migration's outcome by hand. */
export function howToCheck(start: Extract<JournalEntry, { kind: 'migration' }>): string {
  return (
    `SELECT finished_at, rolled_back_at, logs FROM _prisma_migrations WHERE id = '${start.rowId}'; ` +
    `-- finished_at set: ${start.name} committed. Also check that pid ${start.pid} is gone: ` +
    `SELECT pid, state, query FROM pg_stat_activity WHERE pid = ${start.pid};`
  );
}

/** What a failure the engine saw end left behind (no crash, no lost session). Pure. */
export function cleanFailureOutcome(
  name: string,
  mode: ApplyMode,
  committed: number[],
  units: number,
): MigrationOutcome {
  if (mode === 'opaque')
    return {
      verdict: 'unknown',
      message: `${name} ran as one script Drawbridge could not parse; part of it may have committed if it controls its own transactions.`,
    };
  if (committed.length === 0)
    return {
      verdict: 'not_applied',
      message: `${name} failed and its transaction was rolled back: it left no changes behind.`,
    };
  return {
    verdict: 'partial',
    committed,
    message: `${name} failed after statement(s) ${committed.join(', ')} of ${units} had committed: it is partly applied.`,
  };
}
