/**
 * Crash safety at start-up, on the store only. The process that drove a run is gone; what that means
 * depends on how far the run had got:
 * - `running`, `succeeded`: the run had started and its driver is lost. It becomes `interrupted`
 *   (audited), a step left `running` is recorded as failed.
 * - `monitoring`: nothing is lost: the deploy is done and the watch lives in the store; the ticker
 *   resumes it (core/monitor/watch-service.ts), and the slots missed meanwhile are gaps.
 * - `awaiting_approval`: nothing was lost (plan and votes are in the store), so nothing changes; it
 *   still waits, still expires after `expiresAfterMinutes`, and its plan is re-checked when it starts.
 * - `approved` for a maintenance window: approved ahead on purpose; it keeps waiting for its window
 *   (core/windows/scheduled-runs.ts starts it, or says why not).
 * - `approved` otherwise: approved but never started. Approving starts a run at once, so the approval meant
 *   "run it now"; after a restart (possibly hours later, possibly at night) starting it unasked would
 *   surprise the people who approved it, and voiding the run would throw away a good request. It
 *   waits for approval again (`approval_lapsed`), its votes void, and the thread says why.
 * - `planned`: created but never shown (the bot died before the run message was posted, which is a
 *   matter of milliseconds); nobody can act on it, so it is cancelled as when posting fails.
 * A restore that started and never finished is ended `interrupted`. Finally every lock whose run is
 * no longer working is released. The pipeline layer reports each case; nothing here touches a database.
 */
import type { Clock } from '../../base/clock.js';
import { RestoreStore, type RestoreRecord } from '../../store/restore-store.js';
import type { RunRecord, RunState } from '../../store/run-store.js';
import { RunStore } from '../../store/run-store.js';
import type { Store } from '../../store/store.js';
import { applyRunEvent } from './apply-run-event.js';

/** One run recovery moved to `interrupted`. */
export interface InterruptedRun {
  /** The run after the change (state `interrupted`). */
  readonly run: RunRecord;
  /** The state it was found in. */
  readonly previousState: RunState;
  /** Steps that were `running` when the process died, now `failed`. */
  readonly interruptedSteps: readonly string[];
}

/** An approved run that had not started: back to `awaiting_approval`, its votes void. */
export interface LapsedApproval {
  readonly run: RunRecord;
  /** Who had approved it (their votes are void now). */
  readonly voidedVotes: readonly string[];
}

/** What start-up recovery changed in the store. */
export interface StartupRecovery {
  readonly interrupted: readonly InterruptedRun[];
  readonly lapsedApprovals: readonly LapsedApproval[];
  /** Runs found `planned` (never shown to anyone), now `cancelled`. */
  readonly cancelled: readonly RunRecord[];
  /** Restores the bot died during, now ended `interrupted` (the run keeps its state). */
  readonly interruptedRestores: readonly RestoreRecord[];
}

const INTERRUPTED_STEP_ERROR = 'interrupted: the bot stopped while this step was running';
/** States in which a run had started and its driver is lost with the process. */
const STARTED: readonly RunState[] = ['running', 'succeeded'];
const RESTORE_INTERRUPTED = 'interrupted: the bot stopped while this restore was running';

/** Applies the rules above to every unfinished run and restore; oldest first. */
export function recoverAfterRestart(store: Store, clock: Clock): StartupRecovery {
  const runs = new RunStore(store, clock);
  const restores = new RestoreStore(store, clock);
  const interrupted: InterruptedRun[] = [];
  const lapsedApprovals: LapsedApproval[] = [];
  const cancelled: RunRecord[] = [];
  for (const found of runs.findNonTerminalRuns()) {
    if (STARTED.includes(found.state)) {
      const r = interrupt(runs, found);
      if (r) interrupted.push(r);
    } else if (found.state === 'approved' && !found.windowId) {
      const r = lapseApproval(runs, found);
      if (r) lapsedApprovals.push(r);
    } else if (found.state === 'planned') {
      const moved = applyRunEvent(runs, found.id, 'cancel', {
        actor: 'system',
        expectedState: 'planned',
        outcome: 'cancelled: the bot restarted before the run message was posted',
      });
      if (moved.kind === 'transitioned') cancelled.push(moved.run);
    }
  }
  const interruptedRestores: RestoreRecord[] = [];
  for (const r of restores.listUnfinished()) {
    if (restores.finish(r.id, 'interrupted', { actor: 'system', error: RESTORE_INTERRUPTED }))
      interruptedRestores.push(restores.get(r.id) ?? r);
  }
  releaseStaleLocks(runs);
  return { interrupted, lapsedApprovals, cancelled, interruptedRestores };
}

function interrupt(runs: RunStore, found: RunRecord): InterruptedRun | undefined {
  return runs.atomically(() => {
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
}

function lapseApproval(runs: RunStore, found: RunRecord): LapsedApproval | undefined {
  return runs.atomically(() => {
    const moved = applyRunEvent(runs, found.id, 'approval_lapsed', {
      actor: 'system',
      expectedState: 'approved',
      detail: { reason: 'the bot restarted after the approval and before the run started' },
    });
    if (moved.kind === 'refusal') return undefined;
    const voidedVotes = runs.voidVotes(
      found.id,
      'system',
      'approval lapsed: the bot restarted before the run started',
    );
    return { run: runs.getRun(found.id) ?? moved.run, voidedVotes };
  });
}

/**
 * After recovery no run is working (this process has started none yet, and the dead one's are
 * interrupted), so a lock protects nothing unless its run is still `running` — which only another
 * live process sharing the data directory could make true.
 */
function releaseStaleLocks(runs: RunStore): void {
  for (const lock of runs.listEnvironmentLocks()) {
    const holder = runs.getRun(lock.runId);
    if (holder?.state !== 'running') runs.releaseEnvironmentLock(lock.environment, lock.runId);
  }
}
