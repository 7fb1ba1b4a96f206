/**
 * Runs approved ahead for a maintenance window start by themselves when it opens — only if no
 * freeze applies, the approvals still hold (same plan hash, enough allowed approvers, no
 * rejection), the plan computed now has the same hash and its preflight passes. Otherwise the run
 * does not start and its thread says exactly why: a changed plan or approvals that no longer hold
 * send it back to waiting for approval (a new approval inside the window starts it at once); a
 * freeze, a failing preflight or a window that ended before the bot could start it cancel it.
 */
import { describeError } from '../../base/errors.js';
import { RunStore, type RunRecord } from '../../store/run-store.js';
import type { WindowRecord, WindowStore } from '../../store/window-store.js';
import type { CoreDeps } from '../deps.js';
import type { RunService } from '../pipeline/run-service.js';
import { tallyVotes } from '../runs/approval-policy.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { isAllowedApprover } from '../runs/authorize.js';
import { replanRun } from '../runs/replan-run.js';
import { activeFreeze, describeFreeze } from './freezes.js';
import { freezesFor } from './window-config.js';

export interface ScheduledRunContext {
  readonly deps: CoreDeps;
  readonly windows: WindowStore;
  readonly runs: RunService;
}

/** Starts (or refuses to start) every approved run whose window is open now. */
export async function startScheduledRuns(ctx: ScheduledRunContext): Promise<void> {
  const runStore = new RunStore(ctx.deps.store, ctx.deps.clock);
  for (const run of runStore.findNonTerminalRuns()) {
    if (run.state !== 'approved' || !run.windowId || ctx.runs.isActive(run.id)) continue;
    const w = ctx.windows.get(run.windowId);
    const now = ctx.deps.clock.now();
    if (!w || w.state === 'cancelled') {
      cancel(ctx, runStore, run, `its maintenance window ${run.windowId} no longer exists`);
      continue;
    }
    if (now < w.startsAt) continue;
    if (now >= w.endsAt) {
      cancel(ctx, runStore, run, `its maintenance window ended before Drawbridge could start it`);
      continue;
    }
    try {
      await checkAndStart(ctx, runStore, run, w);
    } catch (err) {
      cancel(ctx, runStore, run, `the checks at the window's start failed: ${describeError(err)}`);
    }
  }
}

async function checkAndStart(
  ctx: ScheduledRunContext,
  runStore: RunStore,
  run: RunRecord,
  w: WindowRecord,
): Promise<void> {
  const now = ctx.deps.clock.now();
  const freeze = activeFreeze(freezesFor(ctx.deps.config, run.environment), now);
  if (freeze) return cancel(ctx, runStore, run, `a freeze applies: ${describeFreeze(freeze)}`);
  const lapsed = await approvalsLapsed(ctx, runStore, run);
  if (lapsed) return backToApproval(ctx, runStore, run, lapsed);
  const report = await ctx.runs.plan(run.environment);
  if (report.kind === 'refusal') return cancel(ctx, runStore, run, report.message);
  if (report.planHash !== run.planHash) {
    const voided = replanRun(runStore, run.id, report.plan, 'system');
    if (voided.kind === 'refusal') return cancel(ctx, runStore, run, voided.message);
    runStore.setReport(run.id, report);
    const reasons = voided.kind === 'voided' ? voided.reasons.map((r) => r.message) : [];
    ctx.runs.emit({
      kind: 'detail',
      runId: run.id,
      detail: {
        title: 'Did not start at the window: the plan changed, approvals are void',
        text: `${reasons.join('\n')}\nApprove the new plan to start it now, inside the window.`,
      },
    });
    ctx.runs.emit({ kind: 'run:changed', runId: run.id });
    return;
  }
  const failing = report.preflight.filter((c) => c.status === 'fail');
  if (report.verdict !== 'ready' || failing.length > 0) {
    const why = failing.length
      ? failing.map((c) => `${c.id}: ${c.message}`).join('; ')
      : `the plan is ${report.verdict.replace('_', ' ')}`;
    return cancel(ctx, runStore, run, `the preflight failed at the window's start (${why})`);
  }
  ctx.runs.emit({
    kind: 'detail',
    runId: run.id,
    detail: {
      title: 'Starting in its maintenance window',
      text: `Window ${w.id} (${w.title}) is open; the plan and the approvals still hold and the preflight passes.`,
    },
  });
  // The pipeline runs on; the ticker does not wait for it (shutdown does, through the run service).
  void ctx.runs.start(run.id, 'system').catch((err: unknown) => {
    ctx.deps.logger.error({ err: describeError(err), runId: run.id }, 'a scheduled run failed to start');
  });
}

/** Why the run's approvals no longer hold, or undefined when they do. */
async function approvalsLapsed(
  ctx: ScheduledRunContext,
  runStore: RunStore,
  run: RunRecord,
): Promise<string | undefined> {
  const policy = ctx.runs.policyOf(run);
  const tally = tallyVotes(runStore.listVotes(run.id), run.planHash, policy.required);
  if (tally.rejectedBy.length > 0) return `it was rejected by ${tally.rejectedBy.join(', ')}`;
  const still: string[] = [];
  for (const voter of tally.approvedBy) {
    if (!policy.allowSelfApproval && voter === run.requestedBy) continue;
    const groups = await ctx.runs.membership.groupsOf(voter, policy.approvers);
    if (isAllowedApprover(policy.approvers, voter, groups)) still.push(voter);
  }
  if (still.length >= policy.required) return undefined;
  return `${still.length} of the approvals still count and ${policy.required} are needed (an approver was removed from the policy, or the policy now needs more)`;
}

function backToApproval(ctx: ScheduledRunContext, runStore: RunStore, run: RunRecord, why: string): void {
  const moved = runStore.atomically(() => {
    const m = applyRunEvent(runStore, run.id, 'approval_lapsed', {
      actor: 'system',
      expectedState: 'approved',
      detail: { reason: why },
    });
    if (m.kind === 'transitioned') runStore.voidVotes(run.id, 'system', `approval no longer holds: ${why}`);
    return m;
  });
  if (moved.kind === 'refusal') return;
  ctx.runs.emit({
    kind: 'detail',
    runId: run.id,
    detail: {
      title: 'Did not start at the window: the approvals no longer hold',
      text: `${why}. Approve again to start it now, inside the window.`,
    },
  });
  ctx.runs.emit({ kind: 'run:changed', runId: run.id });
}

function cancel(ctx: ScheduledRunContext, runStore: RunStore, run: RunRecord, why: string): void {
  cancelUnstarted(ctx.runs, runStore, run, 'system', {
    outcome: `did not start: ${why}`,
    title: 'Did not start at the window',
    text: `This run did not start: ${why}.`,
  });
}

/**
 * Cancels a run of a window that has not started (compare and set on its state) and tells its
 * thread; false when it had moved on meanwhile.
 */
export function cancelUnstarted(
  runs: RunService,
  runStore: RunStore,
  run: RunRecord,
  actor: string,
  say: { outcome: string; title: string; text: string },
): boolean {
  const moved = applyRunEvent(runStore, run.id, 'cancel', {
    actor,
    expectedState: run.state,
    outcome: say.outcome,
  });
  if (moved.kind === 'refusal') return false;
  runs.emit({ kind: 'detail', runId: run.id, detail: { title: say.title, text: say.text } });
  runs.emit({ kind: 'run:changed', runId: run.id });
  return true;
}
