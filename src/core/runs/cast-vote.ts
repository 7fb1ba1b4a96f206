/**
 * One Approve or Reject click, end to end on the store: evaluate it against the policy and the votes
 * so far, record it, and decide the run when it is the deciding vote — in one IMMEDIATE transaction,
 * so two approvers clicking at the same moment are counted one after the other.
 */
import type { Refusal } from '../../base/errors.js';
import { refusal } from '../../base/errors.js';
import type { RunRecord, RunStore, VoteDecision } from '../../store/run-store.js';
import { evaluateVote, type ApprovalPolicy, type VoteAccepted, type VoteInput } from './approval-policy.js';

export interface CastVoteInput {
  readonly runId: string;
  readonly voter: string;
  /** Groups (S…) of the policy the voter belongs to (`groupsOf(resolveApprovers(...), voter)`). */
  readonly voterGroups: readonly string[];
  readonly decision: VoteDecision;
  readonly policy: ApprovalPolicy;
  /** The plan hash as computed now; a difference from the run's hash refuses with PLAN_CHANGED. */
  readonly currentPlanHash: string;
  /** The rehearsal facts of the current plan (`rehearsal: required` gates Approve). */
  readonly rehearsal?: VoteInput['rehearsal'];
}

/** A counted vote and the run after it (approved or rejected when the vote decided it). */
export interface VoteCast extends VoteAccepted {
  readonly run: RunRecord;
}

/**
 * Evaluates, records and, when decisive, applies the vote. An `APPROVAL_EXPIRED` refusal also moves
 * the run to `expired` (audited as `system`), so the next click reads "expired".
 */
export function castVote(runs: RunStore, input: CastVoteInput): VoteCast | Refusal {
  return runs.atomically(() => {
    const run = runs.getRun(input.runId);
    if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${input.runId}.`);
    const verdict = evaluateVote({
      policy: input.policy,
      run,
      voter: input.voter,
      voterGroups: input.voterGroups,
      decision: input.decision,
      now: runs.clock.now(),
      currentPlanHash: input.currentPlanHash,
      existingVotes: runs.listVotes(run.id),
      ...(input.rehearsal ? { rehearsal: input.rehearsal } : {}),
    });
    if (verdict.kind === 'refusal') {
      if (verdict.code === 'APPROVAL_EXPIRED') {
        runs.transition(run.id, {
          from: run.state,
          to: 'expired',
          event: 'expire',
          actor: 'system',
          outcome: verdict.message,
        });
      }
      return verdict;
    }
    const recorded = runs.recordVote(run.id, verdict.vote);
    if (recorded.kind === 'refusal') return recorded;
    if (verdict.outcome === 'pending') return { ...verdict, run: runs.getRun(run.id) ?? run };
    const to = verdict.outcome === 'approved' ? 'approved' : 'rejected';
    const moved = runs.transition(run.id, {
      from: 'awaiting_approval',
      to,
      event: verdict.outcome === 'approved' ? 'approve' : 'reject',
      actor: input.voter,
      detail: { approvedBy: verdict.tally.approvedBy, rejectedBy: verdict.tally.rejectedBy },
      ...(to === 'rejected' ? { outcome: `rejected by ${input.voter}` } : {}),
    });
    if (moved.kind === 'refusal') return moved;
    return { ...verdict, run: moved.run };
  });
}
