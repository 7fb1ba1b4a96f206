/**
 * Runs, their steps, approval votes and the per-environment lock, on the Store's SQLite database.
 *
 * The store knows which values its `state` column may hold (the vocabulary below) but not which moves
 * between them are allowed: that decision is `nextTransition` in core/runs/lifecycle.ts. Every change
 * of state is a compare-and-set inside an IMMEDIATE transaction, so two clicks — or two bot
 * processes — cannot both move a run out of the same state, and each one writes an audit line in the
 * same transaction. This file is longer than ~250 lines because the SQL of one table family belongs
 * together with the vocabulary its columns hold.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { DrawbridgeError, refusal, type Refusal } from '../base/errors.js';
import { redact, redactDeep } from '../base/redact.js';
import type { Store } from './store.js';

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

interface RunRow {
  id: string;
  environment: string;
  state: RunState;
  requested_by: string;
  reason: string | null;
  plan_json: string;
  plan_hash: string;
  channel: string | null;
  message_ts: string | null;
  outcome: string | null;
  backup_json: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

interface StepRow {
  seq: number;
  name: string;
  state: StepState;
  started_at: number | null;
  finished_at: number | null;
  detail: string | null;
  error: string | null;
}

function toRunRecord(r: RunRow, approvalRequestedAt: number | null): RunRecord {
  return {
    id: r.id,
    environment: r.environment,
    state: r.state,
    requestedBy: r.requested_by,
    reason: r.reason,
    plan: JSON.parse(r.plan_json) as Plan,
    planHash: r.plan_hash,
    channel: r.channel,
    messageTs: r.message_ts,
    outcome: r.outcome,
    backup: r.backup_json === null ? null : (JSON.parse(r.backup_json) as unknown),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    approvalRequestedAt,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

function toStepRecord(r: StepRow): StepRecord {
  return {
    seq: r.seq,
    name: r.name,
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    error: r.error,
  };
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

const TERMINAL_SQL = TERMINAL_RUN_STATES.map((s) => `'${s}'`).join(', ');

/** Repository for runs and everything that hangs off them. */
export class RunStore {
  readonly store: Store;
  /** The time source for every timestamp this repository writes. */
  readonly clock: Clock;

  constructor(store: Store, clock: Clock = store.clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Runs `fn` in one IMMEDIATE transaction (it takes the write lock first), returning its result. */
  atomically<T>(fn: () => T): T {
    return this.store.db.transaction(fn).immediate();
  }

  /** Creates a run in state `planned` and audits it. */
  createRun(input: {
    environment: string;
    requestedBy: string;
    plan: Plan;
    planHash: string;
    reason?: string;
    channel?: string;
    id?: string;
  }): RunRecord {
    const now = this.clock.now();
    const id = input.id ?? this.freshId();
    this.atomically(() => {
      this.store.db
        .prepare(
          `INSERT INTO runs (id, environment, state, requested_by, reason, plan_json, plan_hash, channel, created_at, updated_at)
           VALUES (?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.environment,
          input.requestedBy,
          input.reason === undefined ? null : redact(input.reason),
          JSON.stringify(redactDeep(input.plan)),
          input.planHash,
          input.channel ?? null,
          now,
          now,
        );
      this.store.audit({
        actor: input.requestedBy,
        action: 'run:planned',
        environment: input.environment,
        runId: id,
        detail: { planHash: input.planHash, migrations: input.plan.migrations.map((m) => m.name) },
      });
    });
    return this.mustGet(id);
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.store.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRunRecord(row, this.approvalRequestedAt(id)) : undefined;
  }

  /** The newest runs of one environment first (for `/migrate history`). */
  listRecentRuns(environment: string, limit = 10): RunRecord[] {
    const rows = this.store.db
      .prepare('SELECT * FROM runs WHERE environment = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(environment, limit) as RunRow[];
    return rows.map((r) => toRunRecord(r, this.approvalRequestedAt(r.id)));
  }

  /** Every run not in a terminal state, oldest first (crash recovery). */
  findNonTerminalRuns(): RunRecord[] {
    const rows = this.store.db
      .prepare(`SELECT * FROM runs WHERE state NOT IN (${TERMINAL_SQL}) ORDER BY created_at, rowid`)
      .all() as RunRow[];
    return rows.map((r) => toRunRecord(r, this.approvalRequestedAt(r.id)));
  }

  /**
   * Moves a run from `change.from` to `change.to` only if it is still in `change.from` (first writer
   * wins). Entering `running` sets `started_at`; entering a terminal state sets `finished_at` and
   * releases the environment lock the run holds. The audit line is written in the same transaction.
   */
  transition(runId: string, change: StateChange): Transitioned | Refusal {
    return this.atomically(() => {
      const before = this.getRun(runId);
      if (!before) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
      const now = this.clock.now();
      const terminal = isTerminalRunState(change.to);
      const res = this.store.db
        .prepare(
          `UPDATE runs SET state = ?, updated_at = ?,
             started_at = CASE WHEN ? = 'running' AND started_at IS NULL THEN ? ELSE started_at END,
             finished_at = CASE WHEN ? THEN ? ELSE finished_at END,
             outcome = COALESCE(?, outcome)
           WHERE id = ? AND state = ?`,
        )
        .run(
          change.to,
          now,
          change.to,
          now,
          terminal ? 1 : 0,
          now,
          change.outcome === undefined ? null : redact(change.outcome),
          runId,
          change.from,
        );
      if (res.changes !== 1) {
        return refusal(
          'RUN_STATE_CHANGED',
          `Run ${runId} is ${before.state} now, not ${change.from}: someone else acted on it first.`,
          'Look at the run message for its current state.',
        );
      }
      if (terminal) this.releaseLocksOf(runId, change.actor);
      this.store.audit({
        actor: change.actor,
        action: `run:${change.to}`,
        environment: before.environment,
        runId,
        detail: { from: change.from, to: change.to, event: change.event, detail: change.detail ?? null },
      });
      return { kind: 'transitioned', from: change.from, run: this.mustGet(runId) };
    });
  }

  /**
   * Replaces the plan a run is bound to and voids every vote given for the old one (the votes are
   * deleted; the audit line keeps who they were). The caller moves the state in the same transaction.
   */
  replacePlan(runId: string, plan: Plan, planHash: string, actor: string, reasons: readonly string[]): void {
    this.atomically(() => {
      const run = this.mustGet(runId);
      const voided = this.listVotes(runId).map((v) => v.userId);
      this.store.db.prepare('DELETE FROM approvals WHERE run_id = ?').run(runId);
      this.store.db
        .prepare('UPDATE runs SET plan_json = ?, plan_hash = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(redactDeep(plan)), planHash, this.clock.now(), runId);
      this.store.audit({
        actor,
        action: 'run:plan_replaced',
        environment: run.environment,
        runId,
        detail: { from: run.planHash, to: planHash, reasons, voidedVotes: voided },
      });
    });
  }

  /** Where the run's live message is (Slack channel and ts). */
  setMessage(runId: string, channel: string, messageTs: string): void {
    this.store.db
      .prepare('UPDATE runs SET channel = ?, message_ts = ? WHERE id = ?')
      .run(channel, messageTs, runId);
  }

  /** Records the backup the run made (path, size, sha256…), redacted. */
  setBackup(runId: string, backup: unknown): void {
    this.store.db
      .prepare('UPDATE runs SET backup_json = ? WHERE id = ?')
      .run(JSON.stringify(redactDeep(backup)), runId);
  }

  /**
   * Records one person's vote. One vote per person per plan: a second vote for the same plan hash is
   * refused; a vote left over from a replaced plan is overwritten.
   */
  recordVote(runId: string, vote: Vote): { kind: 'recorded' } | Refusal {
    return this.atomically(() => {
      const run = this.getRun(runId);
      if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
      const res = this.store.db
        .prepare(
          `INSERT INTO approvals (run_id, user_id, decision, plan_hash, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (run_id, user_id) DO UPDATE SET decision = excluded.decision,
             plan_hash = excluded.plan_hash, at = excluded.at
           WHERE approvals.plan_hash <> excluded.plan_hash`,
        )
        .run(runId, vote.userId, vote.decision, vote.planHash, vote.at);
      if (res.changes !== 1) {
        return refusal('ALREADY_VOTED', `${vote.userId} has already voted on run ${runId}.`);
      }
      this.store.audit({
        actor: vote.userId,
        action: `vote:${vote.decision}`,
        environment: run.environment,
        runId,
        detail: { planHash: vote.planHash },
      });
      return { kind: 'recorded' };
    });
  }

  /** Votes on a run, oldest first. */
  listVotes(runId: string): Vote[] {
    const rows = this.store.db
      .prepare('SELECT user_id, decision, plan_hash, at FROM approvals WHERE run_id = ? ORDER BY at, rowid')
      .all(runId) as { user_id: string; decision: VoteDecision; plan_hash: string; at: number }[];
    return rows.map((r) => ({ userId: r.user_id, decision: r.decision, planHash: r.plan_hash, at: r.at }));
  }

  /** Records that a pipeline step started (state `running`); returns its sequence number. */
  startStep(runId: string, name: string): number {
    return this.atomically(() => {
      const run = this.mustGet(runId);
      const seq = this.nextSeq(runId);
      this.store.db
        .prepare(
          `INSERT INTO run_steps (run_id, seq, name, state, started_at) VALUES (?, ?, ?, 'running', ?)`,
        )
        .run(runId, seq, name, this.clock.now());
      this.store.audit({
        actor: 'system',
        action: 'step:started',
        environment: run.environment,
        runId,
        detail: { name },
      });
      return seq;
    });
  }

  /** Records how a step ended. `detail` (JSON) and `error` are redacted. */
  finishStep(
    runId: string,
    seq: number,
    outcome: { state: Exclude<StepState, 'running'>; detail?: unknown; error?: string },
  ): void {
    this.atomically(() => {
      const run = this.mustGet(runId);
      const res = this.store.db
        .prepare(
          'UPDATE run_steps SET state = ?, finished_at = ?, detail = ?, error = ? WHERE run_id = ? AND seq = ?',
        )
        .run(
          outcome.state,
          this.clock.now(),
          outcome.detail === undefined ? null : JSON.stringify(redactDeep(outcome.detail)),
          outcome.error === undefined ? null : redact(outcome.error),
          runId,
          seq,
        );
      if (res.changes !== 1) {
        throw new DrawbridgeError('RUN_STEP_NOT_FOUND', `Run ${runId} has no step ${seq} to finish.`);
      }
      this.store.audit({
        actor: 'system',
        action: `step:${outcome.state}`,
        environment: run.environment,
        runId,
        detail: { seq, error: outcome.error ?? null },
      });
    });
  }

  /** Adds a `not_run` row for each named step that has no row yet, in the given order. */
  markStepsNotRun(runId: string, names: readonly string[]): void {
    this.atomically(() => {
      const seen = new Set(this.listSteps(runId).map((s) => s.name));
      for (const name of names.filter((n) => !seen.has(n))) {
        const seq = this.nextSeq(runId);
        this.store.db
          .prepare(`INSERT INTO run_steps (run_id, seq, name, state) VALUES (?, ?, ?, 'not_run')`)
          .run(runId, seq, name);
      }
    });
  }

  /**
   * Ends every step still `running` as `failed` with `error` (used when the process that ran it is
   * gone). Returns their names.
   */
  failRunningSteps(runId: string, error: string): string[] {
    return this.atomically(() => {
      const running = this.listSteps(runId).filter((s) => s.state === 'running');
      for (const s of running) this.finishStep(runId, s.seq, { state: 'failed', error });
      return running.map((s) => s.name);
    });
  }

  listSteps(runId: string): StepRecord[] {
    const rows = this.store.db
      .prepare('SELECT * FROM run_steps WHERE run_id = ? ORDER BY seq')
      .all(runId) as StepRow[];
    return rows.map(toStepRecord);
  }

  /**
   * Takes the one-run-per-environment lock for `runId`. Refused while another non-terminal run holds
   * it; a lock left by a terminal or vanished run is taken over (audited). Idempotent for the holder.
   */
  acquireEnvironmentLock(environment: string, runId: string): { kind: 'acquired' } | Refusal {
    return this.atomically(() => {
      const held = this.getEnvironmentLock(environment);
      if (held && held.runId !== runId) {
        const holder = this.getRun(held.runId);
        if (holder && !isTerminalRunState(holder.state)) {
          return refusal(
            'ENVIRONMENT_LOCKED',
            `Run ${holder.id} (${holder.state}, requested by ${holder.requestedBy}) holds the ${environment} lock; one run at a time per environment.`,
            `Wait for run ${holder.id} to finish, or cancel it with /migrate cancel ${holder.id}.`,
          );
        }
        this.store.audit({
          actor: 'system',
          action: 'lock:taken_over',
          environment,
          runId,
          detail: { from: held.runId, fromState: holder?.state ?? 'missing' },
        });
      }
      this.store.db
        .prepare(
          `INSERT INTO environment_locks (environment, run_id, acquired_at) VALUES (?, ?, ?)
           ON CONFLICT (environment) DO UPDATE SET run_id = excluded.run_id, acquired_at = excluded.acquired_at
           WHERE environment_locks.run_id <> excluded.run_id`,
        )
        .run(environment, runId, this.clock.now());
      if (held?.runId !== runId) {
        this.store.audit({ actor: 'system', action: 'lock:acquired', environment, runId });
      }
      return { kind: 'acquired' };
    });
  }

  /** Releases the lock if `runId` holds it; returns whether it did. */
  releaseEnvironmentLock(environment: string, runId: string, actor = 'system'): boolean {
    return this.atomically(() => {
      const res = this.store.db
        .prepare('DELETE FROM environment_locks WHERE environment = ? AND run_id = ?')
        .run(environment, runId);
      if (res.changes === 1) this.store.audit({ actor, action: 'lock:released', environment, runId });
      return res.changes === 1;
    });
  }

  getEnvironmentLock(environment: string): EnvironmentLock | undefined {
    const row = this.store.db
      .prepare('SELECT environment, run_id, acquired_at FROM environment_locks WHERE environment = ?')
      .get(environment) as { environment: string; run_id: string; acquired_at: number } | undefined;
    return row ? { environment: row.environment, runId: row.run_id, acquiredAt: row.acquired_at } : undefined;
  }

  /** Every lock row, for recovery and diagnostics. */
  listEnvironmentLocks(): EnvironmentLock[] {
    const rows = this.store.db
      .prepare('SELECT environment, run_id, acquired_at FROM environment_locks ORDER BY environment')
      .all() as { environment: string; run_id: string; acquired_at: number }[];
    return rows.map((r) => ({ environment: r.environment, runId: r.run_id, acquiredAt: r.acquired_at }));
  }

  private releaseLocksOf(runId: string, actor: string): void {
    for (const lock of this.listEnvironmentLocks().filter((l) => l.runId === runId)) {
      this.releaseEnvironmentLock(lock.environment, runId, actor);
    }
  }

  /** When the run last entered `awaiting_approval`, from the audit line written with that change. */
  private approvalRequestedAt(runId: string): number | null {
    const row = this.store.db
      .prepare(
        `SELECT at FROM audit WHERE run_id = ? AND action = 'run:awaiting_approval' ORDER BY id DESC LIMIT 1`,
      )
      .get(runId) as { at: number } | undefined;
    return row?.at ?? null;
  }

  private nextSeq(runId: string): number {
    const row = this.store.db.prepare('SELECT MAX(seq) AS m FROM run_steps WHERE run_id = ?').get(runId) as {
      m: number | null;
    };
    return (row.m ?? 0) + 1;
  }

  private mustGet(id: string): RunRecord {
    const run = this.getRun(id);
    if (!run) throw new DrawbridgeError('RUN_NOT_FOUND', `There is no run ${id} in the state database.`);
    return run;
  }

  private freshId(): string {
    for (;;) {
      const id = randomBytes(4).toString('hex');
      if (!this.store.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(id)) return id;
    }
  }
}
