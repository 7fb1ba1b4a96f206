/**
 * Re-checks a run's plan just before it starts (or when someone clicks): if the plan computed now
 * differs from the one shown, every vote is void, the run goes back to `awaiting_approval` bound to
 * the new plan, and the reasons are returned in plain sentences for the message.
 */
import type { Refusal } from '../../base/errors.js';
import { refusal } from '../../base/errors.js';
import type { RunRecord, RunStore } from '../../store/run-store.js';
import { applyRunEvent } from './apply-run-event.js';
import { comparePlans, planHash, type Plan, type PlanDifference } from './plan.js';

/** The result of re-checking a plan. */
export type ReplanResult =
  | { readonly kind: 'unchanged'; readonly run: RunRecord }
  | { readonly kind: 'voided'; readonly run: RunRecord; readonly reasons: readonly PlanDifference[] };

/**
 * Compares `current` with the run's plan; when they differ, replaces the plan, voids the votes and
 * applies `plan_changed`. Refused when the run is past approval (running, finished…).
 */
export function replanRun(
  runs: RunStore,
  runId: string,
  current: Plan,
  actor: string,
): ReplanResult | Refusal {
  return runs.atomically(() => {
    const run = runs.getRun(runId);
    if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
    const hash = planHash(current);
    if (hash === run.planHash) return { kind: 'unchanged', run };
    const reasons = comparePlans(run.plan, current);
    const moved = applyRunEvent(runs, runId, 'plan_changed', {
      actor,
      expectedState: run.state,
      detail: { reasons: reasons.map((r) => r.message) },
    });
    if (moved.kind === 'refusal') return moved;
    runs.replacePlan(
      runId,
      current,
      hash,
      actor,
      reasons.map((r) => r.message),
    );
    return { kind: 'voided', run: runs.getRun(runId) ?? moved.run, reasons };
  });
}
