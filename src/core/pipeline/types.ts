/**
 * The vocabulary of the deploy pipeline: its steps in order, the preflight checks, the plan report a
 * person approves, and the typed events the pipeline emits while it works. Front ends (Slack, CLI)
 * subscribe to the events; nothing here knows about Slack.
 */
import type { PgClient } from '../backup/pg-client.js';
import type { TeamNotice } from '../events/team-notice.js';
import type { RunWindow } from '../windows/types.js';
import type { Alert, ChartInput, WatchBrief, WatchSummary } from '../monitor/types.js';
import type { StatusReport } from '../../migrations/status.js';
import type { RehearsalView } from '../rehearsal/types.js';
import type { ReviewReport } from '../../migrations/review/types.js';
import type { DriftItem } from '../shadow/schema-diff.js';
import type { Plan, RunRecord, RunState, StepRecord, StepState } from '../../store/run-types.js';

/**
 * The runbook, in order. Every run records every step (`not_run` after a failure). Maintenance mode
 * goes off once the ledger is verified and before the post-deploy commands and the health check,
 * as the runbooks do: an application behind a maintenance page answers 503 until then.
 */
export const PIPELINE_STEPS = [
  'preflight',
  'announce',
  'maintenance_on',
  'backup',
  'apply',
  'verify',
  'maintenance_off',
  'post_deploy',
  'health_check',
  'close',
] as const;
export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** How a step reads in a message. */
export const STEP_TITLES: Record<PipelineStep, string> = {
  preflight: 'Preflight checks',
  announce: 'Announce',
  maintenance_on: 'Maintenance mode on',
  backup: 'Backup',
  apply: 'Apply migrations',
  verify: 'Verify',
  post_deploy: 'Post-deploy commands',
  health_check: 'Health check',
  maintenance_off: 'Maintenance mode off',
  close: 'Close',
};

/** One preflight check and what it found. `fail` stops a run; `warn` is shown and does not. */
export interface PreflightCheck {
  readonly id:
    'database' | 'pg_dump' | 'disk' | 'ledger' | 'transactions' | 'lock' | 'review' | 'gate' | 'freeze';
  readonly status: 'ok' | 'warn' | 'fail';
  readonly message: string;
  readonly hint?: string;
  /**
   * The `pg_dump` check only: the client tools chosen for the server (core/backup/pg-client.ts); the
   * run's backup and a later restore of it use these same binaries.
   */
  readonly client?: PgClient;
}

/** A pending migration as the plan shows it. */
export interface PlanMigration {
  readonly name: string;
  readonly checksum: string;
}

/**
 * What `/migrate plan` and `/migrate deploy` show: the exact plan with its hash, the SQL review and
 * impact estimate, the backup size estimate and the preflight results so far.
 */
export interface PlanReport {
  readonly kind: 'plan';
  readonly environment: string;
  /** host:port/database, no password. */
  readonly target: string;
  readonly plan: Plan;
  readonly planHash: string;
  readonly status: StatusReport;
  /** Undefined when there is nothing to review. */
  readonly review?: ReviewReport;
  /** pg_database_size of the target, when it could be read. */
  readonly databaseBytes: number | null;
  readonly preflight: readonly PreflightCheck[];
  /**
   * ready: buttons may be offered; nothing_pending: the database is up to date; blocked: a failed
   * migration or another preflight failure stops it (see `preflight` and `status.blocking`).
   */
  readonly verdict: 'ready' | 'nothing_pending' | 'blocked';
  /**
   * The drift check (core/shadow/drift.ts), when the environment has a shadow database: how the live
   * schema differs from what its applied migrations make, or why that could not be checked (never
   * fatal to the plan).
   */
  readonly drift?: { readonly items: readonly DriftItem[] } | { readonly error: string };
}

/** A line of detail for a run's thread (command output, SQL logs, the restore command…). */
export interface ThreadDetail {
  readonly title: string;
  readonly text: string;
  /** Show `text` as a code block. */
  readonly code?: boolean;
  /**
   * `text` refers to people as `@U…` (a Slack user id after an at sign); front ends may turn those
   * into mentions. The text is plain otherwise: never markup.
   */
  readonly mentions?: boolean;
}

/** Everything the pipeline and the ways back report while they work, in order. */
export type PipelineEvent =
  | { readonly kind: 'run:changed'; readonly runId: string }
  /** A deploy was asked for and waits for approval. */
  | {
      readonly kind: 'run:requested';
      readonly runId: string;
      readonly environment: string;
      readonly requestedBy: string;
    }
  /** A vote was counted (`outcome` is where the tally stands after it). */
  | {
      readonly kind: 'vote:cast';
      readonly runId: string;
      readonly voter: string;
      readonly decision: 'approve' | 'reject';
      readonly outcome: 'pending' | 'approved' | 'rejected';
    }
  | { readonly kind: 'run:approved'; readonly runId: string }
  | { readonly kind: 'run:rejected'; readonly runId: string }
  /** Found unfinished at start-up (or stopped by a shutdown): the run is now `interrupted`. */
  | { readonly kind: 'run:interrupted'; readonly runId: string; readonly previousState: string }
  | { readonly kind: 'step:started'; readonly runId: string; readonly step: PipelineStep }
  | {
      readonly kind: 'step:finished';
      readonly runId: string;
      readonly step: PipelineStep;
      readonly state: StepState;
      readonly durationMs: number;
      readonly summary: string;
    }
  /** Live progress inside a step (e.g. "migration 2 of 5: 2024…_orders"); replaces the previous one. */
  | { readonly kind: 'progress'; readonly runId: string; readonly step: PipelineStep; readonly text: string }
  | { readonly kind: 'detail'; readonly runId: string; readonly detail: ThreadDetail }
  /** Something the whole team should hear (announce, close, failure, restore), as data. */
  | { readonly kind: 'notice'; readonly runId: string; readonly notice: TeamNotice }
  /**
   * A way back ended the run (its failed migrations marked rolled back, or its backup restored):
   * the status-page maintenance is completed (core/pipeline/way-back-end.ts).
   */
  | {
      readonly kind: 'run:returned';
      readonly runId: string;
      readonly environment: string;
      readonly how: 'rolled_back' | 'restored';
      readonly actor: string;
    }
  /** The pipeline began (before preflight). */
  | {
      readonly kind: 'run:started';
      readonly runId: string;
      readonly environment: string;
      readonly migrations: readonly PlanMigration[];
    }
  | {
      readonly kind: 'run:finished';
      readonly runId: string;
      readonly environment: string;
      readonly state: RunState;
      readonly outcome: string;
      /** False when it ended before its first step (no `run:started` was emitted). */
      readonly started: boolean;
    }
  /** The post-deploy watch recorded a slot (a sample, or a gap when nothing could be read). */
  | {
      readonly kind: 'monitor:sample';
      readonly runId: string;
      readonly slot: number;
      readonly gap: boolean;
    }
  /** A sample crossed a threshold against the baseline (at most one per kind per hour). */
  | {
      readonly kind: 'monitor:alert';
      readonly runId: string;
      readonly alert: Alert;
      readonly at: number;
    }
  /** A rehearsal of the run's plan on the shadow database ended (core/rehearsal). */
  | {
      readonly kind: 'rehearsal:finished';
      readonly runId: string;
      readonly rehearsalId: string;
      readonly environment: string;
      readonly planHash: string;
      readonly state: 'succeeded' | 'failed' | 'cancelled' | 'error';
    }
  /** The watch ended (time up, stopped, or the run left monitoring): its summary and chart, as data. */
  | {
      readonly kind: 'monitor:finished';
      readonly runId: string;
      readonly summary: WatchSummary;
      readonly chart: ChartInput;
    };

/** Receives pipeline events. Must not throw; slow work belongs in the receiver's own queue. */
export type PipelineObserver = (event: PipelineEvent) => void;

/** A run plus what a message about it needs. */
export interface RunView {
  readonly run: RunRecord;
  readonly steps: readonly StepRecord[];
  readonly approvals: {
    readonly required: number;
    readonly approvedBy: readonly string[];
    readonly rejectedBy: readonly string[];
    /** Policy approvers (U… and S…); empty means anyone but (usually) the requester. */
    readonly approvers: readonly string[];
    readonly allowSelfApproval: boolean;
    readonly expiresAt?: number;
  };
  /** The latest progress line of the running step, if any. */
  readonly progress?: string;
  /** The plan report the run was requested with (stored as JSON: dates are strings). */
  readonly report?: PlanReport;
  /** What a person can do now. */
  readonly actions: RunActions;
  /** Messages about this run the outbox gave up delivering (history only). */
  readonly undelivered?: number;
  /** The maintenance window the run waits for (or ran in), with the overrun flag. */
  readonly window?: RunWindow;
  /** The post-deploy watch, when the run has one. */
  readonly watch?: WatchBrief;
  /** The rehearsal of the run's plan on the shadow database (core/rehearsal), when there is one. */
  readonly rehearsal?: RehearsalView;
}

/** Which buttons a run's message offers. */
export interface RunActions {
  readonly vote: boolean;
  readonly cancel: boolean;
  /** "Mark rolled back" makes sense (a migration failed, or the run was interrupted). */
  readonly markRolledBack: boolean;
  /** The migration the apply step left failed, when known. */
  readonly failedMigration?: string;
  /**
   * What the evidence says that migration left behind (one sentence), when a verdict was reached.
   * Mark rolled back is offered only when it left nothing.
   */
  readonly evidence?: string;
  /** A verified backup exists to restore. */
  readonly restore: boolean;
  /** Later runs of the environment a restore of this run's backup would undo (`run id (state)`). */
  readonly restoreUndoes?: readonly string[];
  readonly retry: boolean;
  /** The run stopped with maintenance mode still on: offer to turn it off. */
  readonly maintenanceOff?: boolean;
  /** The run is being watched after its deploy: offer to stop the watch. */
  readonly stopWatching?: boolean;
  /** A rehearsal of the run's plan is under way: offer to cancel it. */
  readonly cancelRehearsal?: boolean;
  /** Revert with down.sql is offered (every applied migration of the run has a down.sql). */
  readonly revertDown?: boolean;
}
