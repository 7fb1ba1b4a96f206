/** Progress events and the result of a native deploy; plain data a CLI prints as text or JSON. */
import type { Refusal } from '../base/errors.js';
import type { LockHolder } from './advisory-lock.js';
import type { MigrationOutcome } from './apply-journal.js';
import type { Blocker } from './session-watch.js';

/** An INVALID index found after a failed non-transactional statement, with the statement that removes it. */
export interface InvalidIndex {
  schema: string;
  name: string;
  table: string;
  dropStatement: string;
}

/** One event of a deploy, in order. */
export type DeployEvent =
  | { kind: 'lock:waiting'; waitedMs: number; holder?: LockHolder }
  | { kind: 'lock:acquired'; waitedMs: number }
  /** The watchdog heard from the database while a statement runs (about once a second). */
  | { kind: 'heartbeat' }
  | { kind: 'migration:started'; name: string; index: number; total: number; mode: 'script' | 'statements' }
  | { kind: 'statement:started'; name: string; statement: number; statements: number; sql: string }
  | {
      kind: 'lock:retry';
      name: string;
      attempt: number;
      maxRetries: number;
      delayMs: number;
      /** Sessions seen blocking the migration while it waited (may be empty if they left first). */
      blockers: Blocker[];
    }
  | { kind: 'migration:finished'; name: string; durationMs: number; attempts: number }
  /** A data change of the running migration's own SQL ended (INSERT, UPDATE, DELETE, MERGE, COPY): its rows. */
  | { kind: 'statement:rows'; command: string; rowCount: number }
  | {
      kind: 'migration:failed';
      name: string;
      sqlState?: string;
      message: string;
      invalidIndexes: InvalidIndex[];
    };

/** How a failed migration failed. */
export interface DeployFailure {
  name: string;
  /**
   * `P3018` for an SQL error (row left failed), `P3015` for a missing/unreadable file (no row written),
   * `PLAN_CHANGED` for a file whose bytes differ from the approved ones (not sent), `CONNECTION_LOST`
   * when the session was lost (see `evidence`), `UNSAFE_TRANSACTIONS` for a file that cannot be run safely.
   */
  code: string;
  sqlState?: string;
  message: string;
  /** The text written to `logs` (P3018). */
  logs?: string;
  attempts: number;
  invalidIndexes: InvalidIndex[];
  /** Blockers seen on the last attempt (for lock timeouts). */
  blockers: Blocker[];
  /**
   * What the failed migration left behind, decided from evidence: `not_applied` (rolled back, or
   * never sent), `partial`, `applied` (it committed although the session was lost), `unknown`.
   * Only `not_applied` allows resolving it as rolled back without looking.
   */
  evidence?: MigrationOutcome;
}

/** The end of a deploy. `applied` lists what this run applied, in order. */
export interface DeployResult {
  /** `stopped`: the deploy was asked to stop between migrations (shutdown) and did. */
  outcome: 'succeeded' | 'nothing_to_apply' | 'failed' | 'refused' | 'cancelled' | 'stopped';
  applied: string[];
  failure?: DeployFailure;
  /** Set when outcome is `refused`: P3009, P3005, P3019 or P1002 (lock busy). */
  refusal?: Refusal;
  durationMs: number;
}
