/**
 * Crash safety at start-up: a run found in a non-terminal state has lost the process that drove it.
 * It becomes `interrupted` (audited), a step left `running` is recorded as failed, and its
 * environment lock is released. The Slack layer posts to each run's thread and re-reads the ledger;
 * nothing here applies anything.
 */
import type { Clock } from '../../base/clock.js';
import type { RunRecord, RunState } from '../../store/run-store.js';
import { RunStore } from '../../store/run-store.js';
import type { Store } from '../../store/store.js';
import { applyRunEvent } from './apply-run-event.js';
import { isTerminal } from './lifecycle.js';

/** One run recovery moved to `interrupted`. */
export interface InterruptedRun {
  /** The run after the change (state `interrupted`). */
  readonly run: RunRecord;
  /** The state it was found in. */
  readonly previousState: RunState;
  /** Steps that were `running` when the process died, now `failed`. */
  readonly interruptedSteps: readonly string[];
}

const INTERRUPTED_STEP_ERROR = 'interrupted: the bot stopped while this step was running';

/**
 * Moves every non-terminal run to `interrupted`, releases the locks they (or any finished or
 * vanished run) held, and returns the interrupted runs, oldest first.
 */
export function recoverInterruptedRuns(store: Store, clock: Clock): InterruptedRun[] {
  const runs = new RunStore(store, clock);
  const out: InterruptedRun[] = [];
  for (const found of runs.findNonTerminalRuns()) {
    const result = runs.atomically(() => {
      const steps = runs
        .listSteps(found.id)
        .filter((s) => s.state === 'running')
        .map((s) => s.name);
      const moved = applyRunEvent(runs, found.id, 'interrupt', {
        actor: 'system',
        expectedState: found.state,
        detail: { previousState: found.state, interruptedSteps: steps },
        outcome: steps.length
          ? `interrupted during ${steps.join(', ')} (the bot restarted)`
          : `interrupted while ${found.state} (the bot restarted)`,
      });
      if (moved.kind === 'refusal') return undefined;
      runs.failRunningSteps(found.id, INTERRUPTED_STEP_ERROR);
      return { run: moved.run, previousState: found.state, interruptedSteps: steps };
    });
    if (result) out.push(result);
  }
  releaseStaleLocks(runs);
  return out;
}

/** Locks whose run is finished or gone protect nothing. */
function releaseStaleLocks(runs: RunStore): void {
  for (const lock of runs.listEnvironmentLocks()) {
    const holder = runs.getRun(lock.runId);
    if (!holder || isTerminal(holder.state)) runs.releaseEnvironmentLock(lock.environment, lock.runId);
  }
}
