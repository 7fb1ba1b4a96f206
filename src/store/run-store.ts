/**
 * Runs, their steps, approval votes and the per-environment lock, on the Store's SQLite database.
 *
 * The store knows which values its `state` column may hold (the vocabulary below) but not which moves
 * between them are allowed: that decision is `nextTransition` in core/runs/lifecycle.ts. Every change
 * of state is a compare-and-set inside an IMMEDIATE transaction, so two clicks — or two bot
 * processes — cannot both move a run out of the same state, and each one writes an audit line in the
 * same transaction. The vocabulary is in run-types.ts, the row mapping in run-rows.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { DrawbridgeError, refusal, type Refusal } from '../base/errors.js';
import { redact, redactDeep } from '../base/redact.js';
import type { Store } from './store.js';

import { RESTORE_UNDER_WAY_SQL } from './restore-store.js';
import { toRunRecord, toStepRecord, type RunRow, type StepRow } from './run-rows.js';
import {
  TERMINAL_RUN_STATES,
  isTerminalRunState,
  type EnvironmentLock,
  type Plan,
  type RevertedMark,
  type RunRecord,
  type StateChange,
  type StepRecord,
  type StepState,
  type Transitioned,
  type Vote,
  type VoteDecision,
} from './run-types.js';

export * from './run-types.js';

const TERMINAL_SQL = TERMINAL_RUN_STATES.map((s) => `'${s}'`).join(', ');

/** Repository for runs and everything that hangs off them. */
/** A run row with the end of the window it waits for, if any (its approval holds until then). */
const SELECT_RUNS =
  'SELECT runs.*, (SELECT w.ends_at FROM windows w WHERE w.id = runs.window_id) AS window_ends_at FROM runs';

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
    /** The maintenance window the run waits for. */
    windowId?: string;
  }): RunRecord {
    const now = this.clock.now();
    const id = input.id ?? this.freshId();
    this.atomically(() => {
      this.store.db
        .prepare(
          `INSERT INTO runs (id, environment, state, requested_by, reason, plan_json, plan_hash, channel, created_at, updated_at, window_id)
           VALUES (?, ?, 'planned', ?, ?, ?, ?, ?, ?, ?, ?)`,
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
          input.windowId ?? null,
        );
      this.store.audit({
        actor: input.requestedBy,
        action: 'run:planned',
        environment: input.environment,
        runId: id,
        detail: {
          planHash: input.planHash,
          migrations: input.plan.migrations.map((m) => m.name),
          ...(input.windowId ? { windowId: input.windowId } : {}),
        },
      });
    });
    return this.mustGet(id);
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.store.db.prepare(`${SELECT_RUNS} WHERE id = ?`).get(id) as RunRow | undefined;
    return row ? toRunRecord(row, this.approvalRequestedAt(id)) : undefined;
  }

  /** The newest runs of one environment first (for `/migrate history`). */
  listRecentRuns(environment: string, limit = 10): RunRecord[] {
    const rows = this.store.db
      .prepare(`${SELECT_RUNS} WHERE environment = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`)
      .all(environment, limit) as RunRow[];
    return rows.map((r) => toRunRecord(r, this.approvalRequestedAt(r.id)));
  }

  /** The runs of one environment that started after `at` (ms), oldest first. */
  listRunsStartedAfter(environment: string, at: number): RunRecord[] {
    const rows = this.store.db
      .prepare(
        `${SELECT_RUNS} WHERE environment = ? AND started_at IS NOT NULL AND started_at > ? ORDER BY started_at, rowid`,
      )
      .all(environment, at) as RunRow[];
    return rows.map((r) => toRunRecord(r, this.approvalRequestedAt(r.id)));
  }

  /** Every run not in a terminal state, oldest first (crash recovery). */
  findNonTerminalRuns(): RunRecord[] {
    const rows = this.store.db
      .prepare(`${SELECT_RUNS} WHERE state NOT IN (${TERMINAL_SQL}) ORDER BY created_at, rowid`)
      .all() as RunRow[];
    return rows.map((r) => toRunRecord(r, this.approvalRequestedAt(r.id)));
  }

  /** The runs scheduled into a maintenance window, oldest first. */
  listRunsOfWindow(windowId: string): RunRecord[] {
    const rows = this.store.db
      .prepare(`${SELECT_RUNS} WHERE window_id = ? ORDER BY created_at, rowid`)
      .all(windowId) as RunRow[];
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

  /**
   * Voids every vote on a run without changing its plan (the votes are deleted; the audit line keeps
   * who they were and why). Returns the voters. The caller moves the state in the same transaction.
   */
  voidVotes(runId: string, actor: string, reason: string): string[] {
    return this.atomically(() => {
      const run = this.mustGet(runId);
      const voided = this.listVotes(runId).map((v) => v.userId);
      this.store.db.prepare('DELETE FROM approvals WHERE run_id = ?').run(runId);
      this.store.audit({
        actor,
        action: 'run:votes_voided',
        environment: run.environment,
        runId,
        detail: { reason, voidedVotes: voided },
      });
      return voided;
    });
  }

  /** Where the run's live message is (Slack channel and ts). */
  setMessage(runId: string, channel: string, messageTs: string): void {
    this.store.db
      .prepare('UPDATE runs SET channel = ?, message_ts = ? WHERE id = ?')
      .run(channel, messageTs, runId);
  }

  /** Keeps the plan report a run was requested with (JSON, redacted), to re-render its message. */
  setReport(runId: string, report: unknown): void {
    this.store.db
      .prepare('UPDATE runs SET report_json = ? WHERE id = ?')
      .run(JSON.stringify(redactDeep(report)), runId);
  }

  /** The stored plan report, or undefined. */
  getReport(runId: string): unknown {
    const row = this.store.db.prepare('SELECT report_json FROM runs WHERE id = ?').get(runId) as
      { report_json: string | null } | undefined;
    return row?.report_json ? (JSON.parse(row.report_json) as unknown) : undefined;
  }

  /** Records the backup the run made (path, size, sha256…), redacted. */
  setBackup(runId: string, backup: unknown): void {
    this.store.db
      .prepare('UPDATE runs SET backup_json = ? WHERE id = ?')
      .run(JSON.stringify(redactDeep(backup)), runId);
  }

  /**
   * Marks runs whose changes a restore of an older backup undid, with an audit line each. The
   * caller does it in the transaction that records the restore.
   */
  markReverted(runIds: readonly string[], mark: RevertedMark): void {
    const update = this.store.db.prepare('UPDATE runs SET reverted_json = ? WHERE id = ?');
    for (const runId of runIds) {
      const run = this.getRun(runId);
      if (!run) continue;
      update.run(JSON.stringify(mark), runId);
      this.store.audit({
        actor: mark.actor,
        action: 'run:reverted',
        environment: run.environment,
        runId,
        detail: { byRunId: mark.byRunId, state: run.state },
      });
    }
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
   * it, or a finished run that is restoring its backup (restore-store.ts); any other
   * lock left by a terminal or vanished run is taken over (audited). Idempotent for the holder.
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
        if (holder && this.isRestoring(holder.id)) {
          return refusal(
            'ENVIRONMENT_LOCKED',
            `Run ${holder.id} is restoring ${environment} from its backup; one run at a time per environment.`,
            `Wait for the restore of run ${holder.id} to finish.`,
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

  /** True while a restore of the run's backup has started and not ended (restore-store.ts). */
  private isRestoring(runId: string): boolean {
    const row = this.store.db.prepare(`SELECT ${RESTORE_UNDER_WAY_SQL} AS busy`).get(runId) as {
      busy: number;
    };
    return row.busy === 1;
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
