/**
 * Rehearsals of a plan on an environment's shadow database (store schema step 8): one row per
 * rehearsal, keyed by environment and plan hash, and by the run that asked for it when one did. The
 * result is core's data (core/rehearsal/types.ts), kept as JSON; the store only knows its state.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import type { Store } from './store.js';

/** Where a rehearsal stands. `error`: it could not be carried out (no copy, shadow refused…). */
export type RehearsalState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'error';

/** One rehearsal as stored. */
export interface RehearsalRow {
  readonly id: string;
  readonly environment: string;
  readonly planHash: string;
  readonly runId: string | null;
  readonly state: RehearsalState;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  /** core/rehearsal's RehearsalResult, as JSON data; null while it runs. */
  readonly result: unknown;
}

interface Raw {
  id: string;
  environment: string;
  plan_hash: string;
  run_id: string | null;
  state: RehearsalState;
  started_at: number;
  finished_at: number | null;
  result_json: string | null;
}

function toRow(r: Raw): RehearsalRow {
  return {
    id: r.id,
    environment: r.environment,
    planHash: r.plan_hash,
    runId: r.run_id,
    state: r.state,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    result: r.result_json === null ? null : (JSON.parse(r.result_json) as unknown),
  };
}

/** Repository of rehearsals. */
export class RehearsalStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock = store.clock,
  ) {}

  /** Records a rehearsal that starts now. */
  begin(input: { environment: string; planHash: string; runId?: string }): RehearsalRow {
    const id = randomBytes(4).toString('hex');
    const at = this.clock.now();
    this.store.db
      .prepare(
        `INSERT INTO rehearsals (id, environment, plan_hash, run_id, state, started_at) VALUES (?, ?, ?, ?, 'running', ?)`,
      )
      .run(id, input.environment, input.planHash, input.runId ?? null, at);
    return this.get(id) as RehearsalRow;
  }

  /** Links a run to a rehearsal of its plan under way (a plan rehearsed before the deploy was asked). */
  linkRun(id: string, runId: string): void {
    this.store.db.prepare('UPDATE rehearsals SET run_id = ? WHERE id = ? AND run_id IS NULL').run(runId, id);
  }

  /** Ends a running rehearsal; a second end is ignored (compare-and-set on `running`). */
  finish(id: string, state: Exclude<RehearsalState, 'running'>, result: unknown): boolean {
    const r = this.store.db
      .prepare(
        `UPDATE rehearsals SET state = ?, finished_at = ?, result_json = ? WHERE id = ? AND state = 'running'`,
      )
      .run(state, this.clock.now(), JSON.stringify(result), id);
    return r.changes === 1;
  }

  get(id: string): RehearsalRow | undefined {
    const r = this.store.db.prepare('SELECT * FROM rehearsals WHERE id = ?').get(id) as Raw | undefined;
    return r ? toRow(r) : undefined;
  }

  /** The newest rehearsal of a plan on an environment (any state). */
  latestForPlan(environment: string, planHash: string): RehearsalRow | undefined {
    const r = this.store.db
      .prepare(
        'SELECT * FROM rehearsals WHERE environment = ? AND plan_hash = ? ORDER BY started_at DESC, rowid DESC LIMIT 1',
      )
      .get(environment, planHash) as Raw | undefined;
    return r ? toRow(r) : undefined;
  }

  /** The newest rehearsal linked to a run. */
  latestForRun(runId: string): RehearsalRow | undefined {
    const r = this.store.db
      .prepare('SELECT * FROM rehearsals WHERE run_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1')
      .get(runId) as Raw | undefined;
    return r ? toRow(r) : undefined;
  }

  /** Whether a rehearsal of exactly this plan on this environment succeeded, ever. */
  succeeded(environment: string, planHash: string): boolean {
    return (
      this.store.db
        .prepare(
          `SELECT 1 FROM rehearsals WHERE environment = ? AND plan_hash = ? AND state = 'succeeded' LIMIT 1`,
        )
        .get(environment, planHash) !== undefined
    );
  }

  /** Rehearsals left `running` by a process that is gone (start-up): they end as `error`. */
  abandonRunning(reason: string): number {
    const r = this.store.db
      .prepare(
        `UPDATE rehearsals SET state = 'error', finished_at = ?, result_json = ? WHERE state = 'running'`,
      )
      .run(this.clock.now(), JSON.stringify({ migrations: [], error: reason }));
    return r.changes;
  }
}
