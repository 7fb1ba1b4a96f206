/**
 * The thin shell around `nextTransition`: read the run, decide, compare-and-set in the store, all in
 * one transaction. A caller that saw the run in some state (a button rendered for
 * `awaiting_approval`) passes it as `expectedState`, so a late click cannot act on a run that moved.
 */
import type { Refusal } from '../../base/errors.js';
import { refusal } from '../../base/errors.js';
import type { RunState, RunStore, Transitioned } from '../../store/run-store.js';
import { nextTransition, type RunEvent } from './lifecycle.js';

export interface RunEventOptions {
  /** Slack user id, `system` or `cli:<name>`; audited. */
  readonly actor: string;
  /** The state the caller acted on; refused if the run has moved since. */
  readonly expectedState?: RunState;
  /** Extra audit detail (redacted). */
  readonly detail?: unknown;
  /** One line for history (the `outcome` column). */
  readonly outcome?: string;
}

/** Applies `event` to run `runId` if the lifecycle allows it from the run's current state. */
export function applyRunEvent(
  runs: RunStore,
  runId: string,
  event: RunEvent,
  options: RunEventOptions,
): Transitioned | Refusal {
  return runs.atomically(() => {
    const run = runs.getRun(runId);
    if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
    const decision = nextTransition(run.state, event);
    if (decision.kind === 'refusal') return decision;
    if (options.expectedState !== undefined && options.expectedState !== run.state) {
      return refusal(
        'RUN_STATE_CHANGED',
        `Run ${runId} is ${run.state} now, not ${options.expectedState}: someone else acted on it first.`,
        'Look at the run message for its current state.',
      );
    }
    return runs.transition(runId, {
      from: decision.from,
      to: decision.to,
      event,
      actor: options.actor,
      ...(options.detail === undefined ? {} : { detail: options.detail }),
      ...(options.outcome === undefined ? {} : { outcome: options.outcome }),
    });
  });
}
