/**
 * The vocabulary of runs as the store keeps it: states, plans, votes, steps, locks, and the shape of a
 * state change. Which moves between states are allowed is core/runs/lifecycle.ts `nextTransition`.
 */

/** Every state a run can be in. The allowed moves are core/runs/lifecycle.ts `nextTransition`. */
export const RUN_STATES = [
  'planned',
  'awaiting_approval',
  'approved',
  'running',
  'succeeded',
  'monitoring',
  'done',
  'rejected',
  'expired',
  'cancelled',
  'failed',
  'interrupted',
  'rolled_back',
  'restored',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/**
 * States in which nothing more happens to a run on its own: no step runs, no lock is needed, crash
 * recovery leaves it alone. `failed` and `interrupted` still accept the ways back (rolled_back,
 * restored) when a person asks.
 */
export const TERMINAL_RUN_STATES: readonly RunState[] = [
  'done',
  'rejected',
  'expired',
  'cancelled',
  'failed',
  'interrupted',
  'rolled_back',
  'restored',
];

export function isTerminalRunState(state: RunState): boolean {
  return TERMINAL_RUN_STATES.includes(state);
}

/** One migration of a plan: its folder name and the sha256 checksum of its `migration.sql`. */
export interface PlannedMigration {
  readonly name: string;
  readonly checksum: string;
}

/** The database a plan is for, as far as it is known; never holds a password. */
export interface PlanTarget {
  /** `host:port/database` of the real target (not the tunnel end). */
  readonly identity: string;
  /** PostgreSQL's `system_identifier` (pg_control_system()), when it could be read. */
  readonly systemIdentifier?: string;
}

/** Exactly what a run will do; approvals bind to its hash (core/runs/plan.ts `planHash`). */
export interface Plan {
  readonly environment: string;
  readonly target: PlanTarget;
  /** Pending migrations in the order they will be applied. */
  readonly migrations: readonly PlannedMigration[];
  /** When the plan was computed (ms since epoch); not part of the hash. */
  readonly createdAt: number;
}

/** One run as stored. */
export interface RunRecord {
  readonly id: string;
  readonly environment: string;
  readonly state: RunState;
  readonly requestedBy: string;
  readonly reason: string | null;
  readonly plan: Plan;
  readonly planHash: string;
  readonly channel: string | null;
  readonly messageTs: string | null;
  /** One line for history, e.g. the failure; set by state changes that pass one. */
  readonly outcome: string | null;
  /** What the backup step recorded (path, size, sha256, restore command), if any. */
  readonly backup: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When the run last entered `awaiting_approval` (approval expiry counts from here). */
  readonly approvalRequestedAt: number | null;
  /** When it entered `running`. */
  readonly startedAt: number | null;
  /** When it entered a terminal state. */
  readonly finishedAt: number | null;
  /**
   * Set when a restore of an older run's backup undid this run's changes; the run keeps its state
   * (what happened to it is still true), this records what happened to the database since.
   */
  readonly reverted?: RevertedMark;
  /**
   * The maintenance window the run waits for (`requireWindow`): approved ahead of time, it starts by
   * itself at the window's start, and its approval holds until the window's end.
   */
  readonly windowId?: string;
  /** When that window ends (read with the run). */
  readonly windowEndsAt?: number;
}

/** A restore of an older backup that undid a run's changes. */
export interface RevertedMark {
  /** The run whose backup was restored. */
  readonly byRunId: string;
  /** Who restored it (Slack user id). */
  readonly actor: string;
  /** When (ms since epoch). */
  readonly at: number;
}

export type VoteDecision = 'approve' | 'reject';

/** One person's decision on one plan of a run. */
export interface Vote {
  readonly userId: string;
  readonly decision: VoteDecision;
  /** The plan hash the voter was shown; a vote for another hash is void. */
  readonly planHash: string;
  readonly at: number;
}

/** How a pipeline step ended, or `running` while it runs. */
export type StepState = 'running' | 'succeeded' | 'refused' | 'failed' | 'skipped' | 'not_run';

export interface StepRecord {
  readonly seq: number;
  readonly name: string;
  readonly state: StepState;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** JSON detail the step recorded (redacted). */
  readonly detail: unknown;
  /** The redacted error of a failed or refused step. */
  readonly error: string | null;
}

/** The one-run-per-environment lock row. */
export interface EnvironmentLock {
  readonly environment: string;
  readonly runId: string;
  readonly acquiredAt: number;
}

/** A successful compare-and-set of a run's state. */
export interface Transitioned {
  readonly kind: 'transitioned';
  readonly from: RunState;
  readonly run: RunRecord;
}

/** What to write when a run changes state. */
export interface StateChange {
  /** The state the caller saw; the change happens only if the run is still in it. */
  readonly from: RunState;
  readonly to: RunState;
  /** Slack user id, `system` or `cli:<user>`; audited. */
  readonly actor: string;
  /** The lifecycle event name, audited. */
  readonly event: string;
  readonly detail?: unknown;
  /** One line for history (`outcome` column); redacted. */
  readonly outcome?: string;
}
