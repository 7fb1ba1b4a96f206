/**
 * Runs left waiting for approval past their environment's `expiresAfterMinutes` become `expired`,
 * even when nobody clicks. The Slack layer calls this on a timer and updates each run's message.
 */
import type { RunRecord, RunStore } from '../../store/run-store.js';
import { applyRunEvent } from './apply-run-event.js';
import { approvalExpiresAt, type ApprovalPolicy } from './approval-policy.js';

/**
 * Expires every `awaiting_approval` run whose approval window has closed at `runs`' clock time.
 * `policyFor` returns the environment's approvals config (undefined: the environment is gone from
 * the config, and its waiting runs expire too). Returns the expired runs.
 */
export function expireOverdueRuns(
  runs: RunStore,
  policyFor: (environment: string) => ApprovalPolicy | undefined,
): RunRecord[] {
  const now = runs.clock.now();
  const out: RunRecord[] = [];
  for (const run of runs.findNonTerminalRuns()) {
    if (run.state !== 'awaiting_approval') continue;
    const policy = policyFor(run.environment);
    const expiresAt = policy ? approvalExpiresAt(run, policy) : now;
    if (expiresAt === undefined || now < expiresAt) continue;
    const why = !policy
      ? `environment ${run.environment} is no longer configured`
      : run.windowEndsAt !== undefined
        ? 'approval was not complete before its maintenance window ended'
        : `approval was not complete within ${policy.expiresAfterMinutes} minutes`;
    const moved = applyRunEvent(runs, run.id, 'expire', {
      actor: 'system',
      expectedState: 'awaiting_approval',
      outcome: `expired: ${why}`,
    });
    if (moved.kind === 'transitioned') out.push(moved.run);
  }
  return out;
}
