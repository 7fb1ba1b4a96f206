/**
 * What one Approve or Reject click means. `evaluateVote` is pure: it asks `authorize` (the one
 * decision about who may act on a run, core/runs/authorize.ts) whether the vote counts, and answers
 * with the new tally or the refusal that tells the person why nothing changed. `resolveApprovers`
 * expands user groups (S…); use it through `GroupMembership` (group-membership.ts), which caches.
 */
import { DrawbridgeError, type Refusal } from '../../base/errors.js';
import type { Vote, VoteDecision } from '../../store/run-store.js';
import { authorize, type ApprovalPolicy, type AuthorizableRun, type RunFacts } from './authorize.js';

export type { Vote, VoteDecision };
export { approvalExpiresAt, describeApprovers, isAllowedApprover, type ApprovalPolicy } from './authorize.js';

/** What `evaluateVote` needs of a run; a stored RunRecord fits. */
export type VotableRun = AuthorizableRun;

export interface VoteInput {
  readonly policy: ApprovalPolicy;
  readonly run: VotableRun;
  /** Slack user id of the person who clicked. */
  readonly voter: string;
  /** The user groups (S…) the voter belongs to, among those named in the policy. */
  readonly voterGroups: readonly string[];
  readonly decision: VoteDecision;
  readonly now: number;
  /** The hash of the plan as computed now (folder, ledger and target re-read). */
  readonly currentPlanHash: string;
  /** Votes already recorded for this run (any plan hash; void ones are ignored). */
  readonly existingVotes: readonly Vote[];
  /** The rehearsal facts of the current plan (`rehearsal: required` gates Approve). */
  readonly rehearsal?: RunFacts['rehearsal'];
}

/** Votes for the current plan. */
export interface Tally {
  readonly required: number;
  readonly approvedBy: readonly string[];
  readonly rejectedBy: readonly string[];
}

/** A vote that counts. `outcome` says whether it decided the run. */
export interface VoteAccepted {
  readonly kind: 'accepted';
  readonly vote: Vote;
  readonly tally: Tally;
  readonly outcome: 'pending' | 'approved' | 'rejected';
}

/** The votes for `planHash`, split by decision, with the required count. */
export function tallyVotes(votes: readonly Vote[], planHash: string, required: number): Tally {
  const valid = votes.filter((v) => v.planHash === planHash);
  return {
    required,
    approvedBy: valid.filter((v) => v.decision === 'approve').map((v) => v.userId),
    rejectedBy: valid.filter((v) => v.decision === 'reject').map((v) => v.userId),
  };
}

/**
 * Decides what one Approve or Reject click means. Refusal codes (from `authorize`):
 * `APPROVAL_NOT_REQUESTED`, `RUN_DECIDED`, `RUN_EXPIRED`, `APPROVAL_EXPIRED` (time ran out; the
 * caller moves the run to `expired`), `PLAN_CHANGED`, `NOT_AN_APPROVER`, `SELF_APPROVAL`,
 * `ALREADY_VOTED`. A rejection by an allowed approver decides the run as rejected; approvals decide
 * it once `policy.required` distinct people approved. Pure.
 */
export function evaluateVote(input: VoteInput): VoteAccepted | Refusal {
  const { policy, run, voter, decision, now } = input;
  const allowed = authorize(decision, {
    run,
    policy,
    now,
    currentPlanHash: input.currentPlanHash,
    votes: input.existingVotes,
    ...(input.rehearsal ? { rehearsal: input.rehearsal } : {}),
    actor: voter,
    actorGroups: input.voterGroups,
  });
  if (allowed.kind === 'refusal') return allowed;
  const vote: Vote = { userId: voter, decision, planHash: input.currentPlanHash, at: now };
  const others = input.existingVotes.filter((v) => v.userId !== voter);
  const tally = tallyVotes([...others, vote], input.currentPlanHash, policy.required);
  const outcome =
    decision === 'reject' ? 'rejected' : tally.approvedBy.length >= policy.required ? 'approved' : 'pending';
  return { kind: 'accepted', vote, tally, outcome };
}

/** The approvers of a policy with groups expanded. */
export interface ResolvedApprovers {
  /** True when the policy names nobody: any workspace member may approve. */
  readonly anyMember: boolean;
  /** Users named directly (U…/W…), in policy order. */
  readonly users: readonly string[];
  /** Each named group (S…) and its members. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** Everyone who can approve, without duplicates: direct users first, then group members. */
  readonly everyone: readonly string[];
}

/**
 * Expands the groups of `approvers` with `listGroupMembers` (called once per group, concurrently).
 * A failed lookup throws `APPROVER_GROUP_LOOKUP_FAILED` naming the group.
 */
export async function resolveApprovers(
  approvers: readonly string[],
  listGroupMembers: (groupId: string) => Promise<readonly string[]>,
): Promise<ResolvedApprovers> {
  const users = approvers.filter((a) => !a.startsWith('S'));
  const groupIds = [...new Set(approvers.filter((a) => a.startsWith('S')))];
  const members = await Promise.all(
    groupIds.map(async (id) => {
      try {
        return [id, [...(await listGroupMembers(id))]] as const;
      } catch (err) {
        throw new DrawbridgeError(
          'APPROVER_GROUP_LOOKUP_FAILED',
          `Could not list the members of user group ${id}.`,
          {
            hint: 'Check that the bot has the usergroups:read scope and that the group exists.',
            cause: err,
          },
        );
      }
    }),
  );
  const groups = Object.fromEntries(members) as Record<string, readonly string[]>;
  const everyone = [...new Set([...users, ...members.flatMap(([, m]) => m)])];
  return { anyMember: approvers.length === 0, users, groups, everyone };
}

/** The groups of `resolved` that `userId` belongs to (pass as `voterGroups`). */
export function groupsOf(resolved: ResolvedApprovers, userId: string): string[] {
  return Object.entries(resolved.groups)
    .filter(([, members]) => members.includes(userId))
    .map(([id]) => id);
}
