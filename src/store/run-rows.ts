/** SQLite row shapes of `runs` and `run_steps`, and their mapping to records. */
import type { Plan, RevertedMark, RunRecord, RunState, StepRecord, StepState } from './run-types.js';
export interface RunRow {
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
  reverted_json?: string | null;
  window_id?: string | null;
  window_ends_at?: number | null;
}

export interface StepRow {
  seq: number;
  name: string;
  state: StepState;
  started_at: number | null;
  finished_at: number | null;
  detail: string | null;
  error: string | null;
}

export function toRunRecord(r: RunRow, approvalRequestedAt: number | null): RunRecord {
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
    ...(r.reverted_json ? { reverted: JSON.parse(r.reverted_json) as RevertedMark } : {}),
    ...(r.window_id ? { windowId: r.window_id } : {}),
    ...(typeof r.window_ends_at === 'number' ? { windowEndsAt: r.window_ends_at } : {}),
  };
}

export function toStepRecord(r: StepRow): StepRecord {
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
