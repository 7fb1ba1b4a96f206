/**
 * The run lifecycle as one pure table:
 * `planned → awaiting_approval → approved → running → succeeded → monitoring → done`, with the exits
 * `rejected, expired, cancelled, failed, interrupted, rolled_back, restored`.
 * `nextTransition` decides; the store (src/store/run-store.ts) only compares-and-sets.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import { RUN_STATES, TERMINAL_RUN_STATES, isTerminalRunState, type RunState } from '../../store/run-store.js';

export { RUN_STATES, TERMINAL_RUN_STATES, type RunState };

/** Everything that can happen to a run. */
export const RUN_EVENTS = [
  /** The plan was posted with Approve / Reject buttons. */
  'request_approval',
  /** Enough approvals for the current plan hash. */
  'approve',
  /** An allowed approver rejected. */
  'reject',
  /** Approval not complete within `expiresAfterMinutes`. */
  'expire',
  /** The plan changed (new or edited migration, other target) before the run started: votes are void. */
  'plan_changed',
  /** The requester (or `/migrate cancel`) stopped it, or Cancel during apply took effect. */
  'cancel',
  /** The pipeline began. */
  'start',
  /** Every step ended well. */
  'succeed',
  /** A step failed or refused. */
  'fail',
  /** The post-deploy watch began. */
  'start_monitoring',
  /** Nothing left to do (no watch configured, or the watch ended). */
  'finish',
  /** Found running, succeeded or monitoring at start-up: the process driving it is gone. */
  'interrupt',
  /**
   * Found approved but not started at start-up. Approving starts a run at once, so an approval means
   * "run it now, I am here"; after a restart that moment has passed, and the run waits for approval
   * again (its votes are void) instead of starting by itself or being thrown away.
   */
  'approval_lapsed',
  /** The failed migration was resolved as rolled back (`resolve --rolled-back`). */
  'mark_rolled_back',
  /** The verified backup was restored. */
  'restore',
  /** The run's applied migrations were reverted with their down.sql files and marked rolled back. */
  'revert_down',
] as const;
export type RunEvent = (typeof RUN_EVENTS)[number];

/** A move the lifecycle allows. */
export interface Transition {
  readonly kind: 'transition';
  readonly from: RunState;
  readonly to: RunState;
  readonly event: RunEvent;
}

/** The table: for each event, the states it may happen in and where it leads. */
const TABLE: Record<RunEvent, { from: readonly RunState[]; to: RunState }> = {
  request_approval: { from: ['planned'], to: 'awaiting_approval' },
  approve: { from: ['awaiting_approval'], to: 'approved' },
  reject: { from: ['awaiting_approval'], to: 'rejected' },
  expire: { from: ['awaiting_approval'], to: 'expired' },
  plan_changed: { from: ['awaiting_approval', 'approved'], to: 'awaiting_approval' },
  cancel: { from: ['planned', 'awaiting_approval', 'approved', 'running'], to: 'cancelled' },
  start: { from: ['approved'], to: 'running' },
  succeed: { from: ['running'], to: 'succeeded' },
  fail: { from: ['running'], to: 'failed' },
  start_monitoring: { from: ['succeeded'], to: 'monitoring' },
  finish: { from: ['succeeded', 'monitoring'], to: 'done' },
  // Only runs that had started lose something when the process dies; a run that never started keeps
  // its plan and votes in the store and survives a restart (see core/runs/recovery.ts).
  interrupt: { from: ['running', 'succeeded', 'monitoring'], to: 'interrupted' },
  approval_lapsed: { from: ['approved'], to: 'awaiting_approval' },
  mark_rolled_back: { from: ['failed', 'interrupted', 'cancelled'], to: 'rolled_back' },
  // Restore is also open to a finished run: the application broke after a successful migration. Later
  // runs that backup undoes keep their state and are marked reverted (RunRecord.reverted).
  restore: {
    from: ['failed', 'interrupted', 'cancelled', 'succeeded', 'monitoring', 'done'],
    to: 'restored',
  },
  revert_down: {
    from: ['failed', 'interrupted', 'cancelled', 'succeeded', 'monitoring', 'done'],
    to: 'rolled_back',
  },
};

/**
 * The states from which `event` may happen, in the order of RUN_STATES. What a run message offers is
 * derived from this (core/runs/authorize.ts), never listed by hand.
 */
export function statesAllowing(event: RunEvent): readonly RunState[] {
  return RUN_STATES.filter((s) => TABLE[event].from.includes(s));
}

/** How a state reads in a sentence: "This run ___." */
const STATE_PHRASE: Record<RunState, string> = {
  planned: 'has not been sent for approval yet',
  awaiting_approval: 'is waiting for approval',
  approved: 'is already approved',
  running: 'is already running',
  succeeded: 'has already succeeded',
  monitoring: 'has already been deployed and is being watched',
  done: 'is finished',
  rejected: 'was rejected',
  expired: 'expired before it was approved',
  cancelled: 'was cancelled',
  failed: 'failed',
  interrupted: 'was interrupted by a restart of the bot',
  rolled_back: 'was marked rolled back',
  restored: 'was restored from its backup',
};

const EVENT_PHRASE: Record<RunEvent, string> = {
  request_approval: 'be sent for approval',
  approve: 'be approved',
  reject: 'be rejected',
  expire: 'expire',
  plan_changed: 'take a new plan',
  cancel: 'be cancelled',
  start: 'start',
  succeed: 'succeed',
  fail: 'fail',
  start_monitoring: 'start being watched',
  finish: 'finish',
  interrupt: 'be interrupted',
  approval_lapsed: 'wait for approval again',
  mark_rolled_back: 'be marked rolled back',
  restore: 'be restored',
  revert_down: 'be reverted with down.sql',
};

/** "This run was rejected" — for messages about a run's state. */
export function describeState(state: RunState): string {
  return `This run ${STATE_PHRASE[state]}`;
}

/**
 * The state `event` leads to from `state`, or a refusal that says why not (for example
 * `RUN_EXPIRED` for approve on an expired run, `RUN_DECIDED` for a second decision). Pure.
 */
export function nextTransition(state: RunState, event: RunEvent): Transition | Refusal {
  const rule = TABLE[event];
  if (rule.from.includes(state)) return { kind: 'transition', from: state, to: rule.to, event };
  const message = `${describeState(state)}; it cannot ${EVENT_PHRASE[event]}.`;
  if (state === 'expired') {
    return refusal('RUN_EXPIRED', message, 'Ask for a new plan with /migrate deploy <env>.');
  }
  if ((event === 'approve' || event === 'reject') && state !== 'planned') {
    return refusal('RUN_DECIDED', message);
  }
  if (isTerminal(state)) return refusal('RUN_FINISHED', message, hintAfter(state));
  return refusal('RUN_TRANSITION_INVALID', message);
}

/** True when nothing more happens to a run on its own (see TERMINAL_RUN_STATES). */
export function isTerminal(state: RunState): boolean {
  return isTerminalRunState(state);
}

function hintAfter(state: RunState): string | undefined {
  if (state === 'failed' || state === 'interrupted') {
    return 'Use the ways back on the run message: Mark rolled back, Restore backup, or Retry.';
  }
  return 'Start a new run with /migrate deploy <env>.';
}
