/**
 * What a rehearsal found, as plain data: stored as JSON (store/rehearsal-store.ts), shown on the run
 * message (slack/renderers/run-message.ts through RunView) and used by the approval gate.
 */
import type { LockMode } from '../../migrations/review/types.js';
import type { RehearsalState } from '../../store/rehearsal-store.js';

export type { RehearsalState };

/** Where the copy in the shadow came from. */
export interface RehearsalSource {
  /** `backup`: the newest verified backup; `dump`: a fresh pg_dump; `schema-only`: schema and ledger only. */
  readonly kind: 'backup' | 'dump' | 'schema-only';
  /** When the copy's data was taken (ms). */
  readonly takenAt: number;
  /** Size of the dump restored, when known. */
  readonly sizeBytes: number | null;
  /** The backup's file name and run, for `backup`. */
  readonly fileName?: string;
  readonly runId?: string;
  /** Why this source (e.g. why the newest backup was not used). */
  readonly note?: string;
  /** How long getting the copy into the shadow took (ms). */
  readonly restoreMs?: number;
  /** Migrations the environment applied after the backup was taken, applied to the copy first. */
  readonly caughtUp?: readonly string[];
}

/** A table lock a migration took. `observed`: seen in pg_locks while it ran; `review`: the SQL review's analysis. */
export interface LockTaken {
  readonly table: string;
  readonly mode: LockMode;
  readonly source: 'observed' | 'review';
}

/** Rows a command of the migration reported (its command tag's row count). */
export interface RowsTouched {
  readonly command: string;
  readonly rows: number;
}

/** The down.sql check of one migration: applied after it, the schema compared with the one before it. */
export interface DownCheck {
  readonly outcome: 'restored' | 'differs' | 'failed' | 'not_checked';
  /** One sentence for people. */
  readonly message: string;
  /** Schema lines that differ (`- before only`, `+ after down only`), a few. */
  readonly differences?: readonly string[];
}

/** How one planned migration fared in the rehearsal. */
export interface MigrationRehearsal {
  readonly name: string;
  readonly outcome: 'applied' | 'failed' | 'not_run';
  readonly durationMs?: number;
  readonly error?: {
    readonly message: string;
    readonly sqlState?: string;
    /** PostgreSQL's DETAIL line (for a unique violation: the duplicate key). */
    readonly detail?: string;
  };
  readonly rows: readonly RowsTouched[];
  readonly locks: readonly LockTaken[];
  readonly down?: DownCheck;
}

/** The result of one rehearsal. */
export interface RehearsalResult {
  /** The shadow database, `host:port/db`. */
  readonly shadow?: string;
  readonly source?: RehearsalSource;
  readonly migrations: readonly MigrationRehearsal[];
  /** Time spent applying the migrations (sum of their durations, ms). */
  readonly applyMs?: number;
  /** The whole rehearsal, copy included (ms). */
  readonly totalMs?: number;
  /** Why it could not be carried out (state `error`), or why it stopped (`cancelled`). */
  readonly error?: string;
}

/** A rehearsal as a message shows it. */
export interface RehearsalView {
  readonly id: string;
  readonly state: RehearsalState;
  readonly planHash: string;
  /** The plan hash is the run's current one. */
  readonly current: boolean;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  /** What it is doing now, while it runs. */
  readonly phase?: string;
  readonly result?: RehearsalResult;
  /** `rehearsal: required` on the environment. */
  readonly required: boolean;
}
