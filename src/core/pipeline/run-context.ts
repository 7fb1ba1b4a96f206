/**
 * What every pipeline step gets: the run, its environment's settings, where to run commands, the
 * cancel signal, the event sink, and the facts earlier steps left for later ones (the backup, the
 * row counts before, the status-page maintenance, whether maintenance mode is on).
 */
import { DrawbridgeError } from '../../base/errors.js';
import type { EnvironmentConfig } from '../../config/file-schema.js';
import type { Executor } from '../../exec/executor.js';
import type { RunRecord } from '../../store/run-types.js';
import type { RunStore } from '../../store/run-store.js';
import type { BackupRecord, DatabaseSnapshot, PgClient } from '../backup/index.js';
import type { CoreDeps } from '../deps.js';
import type { EnvironmentTarget } from '../environment-target.js';
import type { PipelineObserver, PlanReport } from './types.js';

/** What the backup step stores on the run (`runs.backup`), enough to restore and compare later. */
export interface StoredBackup extends BackupRecord {
  /** Schema and exact row counts taken just before the dump; a restore is compared with it. */
  readonly snapshot?: DatabaseSnapshot;
  /** The client tools the preflight chose and the dump used; a restore uses them too. */
  readonly client?: PgClient;
}

/** Facts steps hand to later steps. */
export interface RunScratch {
  maintenanceOn: boolean;
  backup?: StoredBackup;
  countsBefore?: Record<string, number | null>;
  /** The migration the apply step left failed in the ledger, if any. */
  failedMigration?: string;
  /** Ledger row ids before apply: verify checks that every new row is an approved migration. */
  ledgerBefore?: string[];
  warnings: string[];
}

export interface StepContext {
  readonly deps: CoreDeps;
  readonly runs: RunStore;
  readonly run: RunRecord;
  /**
   * The run's environment, resolved once when the run started, with the run's one tunnel (`via:
   * bastion`), closed when the run ends. Steps work through it and never look the environment up again.
   */
  readonly target: EnvironmentTarget;
  /** `target.config`. */
  readonly env: Readonly<EnvironmentConfig>;
  /** `target.executor`. */
  readonly executor: Executor;
  /** `target.url`: the database URL as seen from this host (the tunnel's end for `via: bastion`). Secret. */
  readonly databaseUrl: string;
  /** `target.executorUrl`: the database URL as seen from the executor's host (pg_dump, psql). Secret. */
  readonly executorDatabaseUrl: string;
  readonly report: PlanReport;
  /** Aborted by Cancel. */
  readonly signal: AbortSignal;
  /** Aborted when Drawbridge shuts down: finish what cannot be cut, start nothing new. */
  readonly stop: AbortSignal;
  readonly emit: PipelineObserver;
  readonly scratch: RunScratch;
  /** Shows a progress line for the step under way. */
  progress(text: string): void;
  /** Posts a detail to the run's thread. */
  detail(title: string, text: string, code?: boolean): void;
  /** Tells the step watchdog the step is alive without changing the progress line. */
  alive(): void;
}

/** How a step ended well. */
export interface StepOutcome {
  readonly state: 'succeeded' | 'skipped';
  /** One line for the live message. */
  readonly summary: string;
  readonly detail?: unknown;
}

/** A step that must stop the run. `refused` = an expected "no" (preflight); otherwise a failure. */
export class StepStopped extends DrawbridgeError {
  constructor(
    code: string,
    message: string,
    readonly refused: boolean,
    options: { hint?: string; cause?: unknown; detail?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'StepStopped';
    this.detail = options.detail;
  }
  readonly detail: unknown;
}

/**
 * Thrown when Drawbridge is shutting down (SIGTERM): the run stops at a safe point — before the next
 * step, or between two migrations — and becomes `interrupted` with what was done.
 */
export class RunStopped extends DrawbridgeError {
  constructor(
    message: string,
    readonly detail?: unknown,
  ) {
    super('RUN_STOPPED', message);
    this.name = 'RunStopped';
  }
}

/** Thrown when the cancel signal stopped a step. */
export class RunCancelled extends DrawbridgeError {
  constructor(
    message: string,
    readonly detail?: unknown,
  ) {
    super('RUN_CANCELLED', message);
    this.name = 'RunCancelled';
  }
}

export type StepFunction = (ctx: StepContext) => Promise<StepOutcome>;
