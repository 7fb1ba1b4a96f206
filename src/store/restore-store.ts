/**
 * Restores of a run's backup, kept as audit lines: `restore:started` is written when a restore starts,
 * and one of `restore:restored | restore:failed | restore:interrupted` (naming the start line's id)
 * when it ends. A start line without an end line is a restore still under way — or, at start-up, one
 * the bot died during. The audit log is append-only, so a restore's record can only ever be completed,
 * never rewritten, and it needs no table of its own. The restore itself is core/pipeline/ways-back.ts.
 */
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import type { Store } from './store.js';

/** How a restore ended: the backup is in, the restore failed (rolled back), or the bot died during it. */
export type RestoreOutcome = 'restored' | 'failed' | 'interrupted';

/** One restore of a run's backup. */
export interface RestoreRecord {
  /** The id of its `restore:started` audit line. */
  readonly id: number;
  readonly runId: string;
  readonly environment: string;
  /** The backup file restored (on the executor's host). */
  readonly backupPath: string;
  /** Slack user id or `cli:<user>` who asked for it. */
  readonly startedBy: string;
  readonly startedAt: number;
  /** Null while it runs (or when the bot died during it and recovery has not run yet). */
  readonly finishedAt: number | null;
  readonly outcome: RestoreOutcome | null;
  /** Why it failed or what recovery found (redacted). */
  readonly error: string | null;
}

const END_ACTIONS = `('restore:restored', 'restore:failed', 'restore:interrupted')`;

/** Each start line with its end line, if any. */
const RESTORES_SQL = `
  SELECT s.id, s.at AS started_at, s.actor AS started_by, s.environment, s.run_id,
         json_extract(s.detail, '$.backupPath') AS backup_path,
         e.at AS finished_at, substr(e.action, 9) AS outcome, json_extract(e.detail, '$.error') AS error
  FROM audit s
  LEFT JOIN audit e ON e.run_id = s.run_id AND e.action IN ${END_ACTIONS}
    AND json_extract(e.detail, '$.restoreId') = s.id
  WHERE s.action = 'restore:started'`;

interface RestoreRow {
  id: number;
  started_at: number;
  started_by: string;
  environment: string | null;
  run_id: string | null;
  backup_path: string | null;
  finished_at: number | null;
  outcome: RestoreOutcome | null;
  error: string | null;
}

function toRecord(r: RestoreRow): RestoreRecord {
  return {
    id: r.id,
    runId: r.run_id ?? '',
    environment: r.environment ?? '',
    backupPath: r.backup_path ?? '',
    startedBy: r.started_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    error: r.error,
  };
}

/** SQL condition: run `?` has a restore started and not ended. For RunStore's lock decision. */
export const RESTORE_UNDER_WAY_SQL = `EXISTS (
  SELECT 1 FROM audit s WHERE s.run_id = ? AND s.action = 'restore:started' AND NOT EXISTS (
    SELECT 1 FROM audit e WHERE e.run_id = s.run_id AND e.action IN ${END_ACTIONS}
      AND json_extract(e.detail, '$.restoreId') = s.id))`;

/** Repository for restores (audit lines, written in IMMEDIATE transactions). */
export class RestoreStore {
  constructor(
    readonly store: Store,
    readonly clock: Clock = store.clock,
  ) {}

  /** Records that a restore of `backupPath` for run `runId` starts now. */
  begin(input: { runId: string; environment: string; backupPath: string; startedBy: string }): RestoreRecord {
    return this.store.db
      .transaction(() => {
        const id = this.store.audit({
          actor: input.startedBy,
          action: 'restore:started',
          environment: input.environment,
          runId: input.runId,
          detail: { backupPath: input.backupPath },
        });
        return this.mustGet(id);
      })
      .immediate();
  }

  /**
   * Ends restore `id` with `outcome` if it has not ended yet (first writer wins); returns whether it
   * did. Can share a transaction with the run's change of state (RunStore.atomically).
   */
  finish(id: number, outcome: RestoreOutcome, opts: { actor: string; error?: string }): boolean {
    return this.store.db
      .transaction(() => {
        const before = this.get(id);
        if (!before || before.finishedAt !== null) return false;
        this.store.audit({
          actor: opts.actor,
          action: `restore:${outcome}`,
          environment: before.environment,
          runId: before.runId,
          detail: { restoreId: id, error: opts.error ?? null },
        });
        return true;
      })
      .immediate();
  }

  get(id: number): RestoreRecord | undefined {
    const row = this.store.db.prepare(`${RESTORES_SQL} AND s.id = ?`).get(id) as RestoreRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** Restores started and never ended, oldest first. */
  listUnfinished(): RestoreRecord[] {
    const rows = this.store.db
      .prepare(`${RESTORES_SQL} AND e.id IS NULL ORDER BY s.id`)
      .all() as RestoreRow[];
    return rows.map(toRecord);
  }

  /** The restores of one run, oldest first. */
  listForRun(runId: string): RestoreRecord[] {
    const rows = this.store.db
      .prepare(`${RESTORES_SQL} AND s.run_id = ? ORDER BY s.id`)
      .all(runId) as RestoreRow[];
    return rows.map(toRecord);
  }

  private mustGet(id: number): RestoreRecord {
    const r = this.get(id);
    if (!r) throw new DrawbridgeError('RESTORE_NOT_FOUND', `There is no restore ${id} in the audit log.`);
    return r;
  }
}
