/**
 * Who may approve a run, and what one click means. `evaluateVote` is pure: it takes the policy, the
 * run as stored, the voter and the votes so far, and answers with the new tally or a refusal that
 * tells the person why nothing changed. `resolveApprovers` expands user groups (S…) through a lookup
 * the Slack layer supplies (usergroups.users.list).
 */
import type { ApprovalsConfig } from '../../config/file-schema.js';
import { DrawbridgeError, refusal, type Refusal } from '../../base/errors.js';
import type { RunState, Vote, VoteDecision } from '../../store/run-store.js';
import { describeState } from './lifecycle.js';
import { shortHash } from './plan.js';

export type { Vote, VoteDecision };

/** The approval settings of one environment (`environments.<env>.approvals`). */
export type ApprovalPolicy = Pick<
  ApprovalsConfig,
  'required' | 'approvers' | 'allowSelfApproval' | 'expiresAfterMinutes'
>;

/** What `evaluateVote` needs of a run; a stored RunRecord fits. */
export interface VotableRun {
  readonly id: string;
  readonly environment: string;
  readonly state: RunState;
  readonly requestedBy: string;
  /** The plan hash the buttons were shown for. */
  readonly planHash: string;
  /** When approval was requested; expiry counts from here. */
  readonly approvalRequestedAt: number | null;
}

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

/** When a run's approval expires, or undefined if approval was never requested. */
export function approvalExpiresAt(run: VotableRun, policy: ApprovalPolicy): number | undefined {
  return run.approvalRequestedAt === null
    ? undefined
    : run.approvalRequestedAt + policy.expiresAfterMinutes * 60_000;
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

/** Whether `voter` (a member of `voterGroups`) may vote under `approvers`; empty means anyone. */
export function isAllowedApprover(
  approvers: readonly string[],
  voter: string,
  voterGroups: readonly string[],
): boolean {
  return (
    approvers.length === 0 || approvers.includes(voter) || voterGroups.some((g) => approvers.includes(g))
  );
}

/** "users U1, U2 and members of groups S1" — who can approve, for messages. */
export function describeApprovers(approvers: readonly string[]): string {
  if (approvers.length === 0) return 'any member of the workspace';
  const users = approvers.filter((a) => !a.startsWith('S'));
  const groups = approvers.filter((a) => a.startsWith('S'));
  const parts: string[] = [];
  if (users.length) parts.push(`${users.length === 1 ? 'user' : 'users'} ${users.join(', ')}`);
  if (groups.length)
    parts.push(`members of ${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')}`);
  return parts.join(' and ');
}

/**
 * Decides what one Approve or Reject click means. Refusal codes: `APPROVAL_NOT_REQUESTED`, `RUN_DECIDED`, `RUN_EXPIRED`,
 * `APPROVAL_EXPIRED` (time ran out; the caller moves the run to `expired`), `PLAN_CHANGED`,
 * `NOT_AN_APPROVER`, `SELF_APPROVAL`, `ALREADY_VOTED`. A rejection by an allowed approver decides
 * the run as rejected; approvals decide it once `policy.required` distinct people approved. Pure.
 */
export function evaluateVote(input: VoteInput): VoteAccepted | Refusal {
  const { policy, run, voter, decision, now } = input;
  const decided = checkOpen(run, policy, now, input.currentPlanHash);
  if (decided) return decided;
  if (!isAllowedApprover(policy.approvers, voter, input.voterGroups)) {
    return refusal(
      'NOT_AN_APPROVER',
      `You are not an approver for ${run.environment}. Who can approve: ${describeApprovers(policy.approvers)}.`,
      'Ask one of them to review the plan.',
    );
  }
  if (decision === 'approve' && voter === run.requestedBy && !policy.allowSelfApproval) {
    return refusal(
      'SELF_APPROVAL',
      `You requested this run, and ${run.environment} does not allow approving your own run.`,
      `Ask another approver: ${describeApprovers(policy.approvers)}.`,
    );
  }
  const previous = input.existingVotes.find(
    (v) => v.userId === voter && v.planHash === input.currentPlanHash,
  );
  if (previous) {
    const verb = previous.decision === 'approve' ? 'approved' : 'rejected';
    return refusal('ALREADY_VOTED', `You already ${verb} this plan; one vote per person.`);
  }
  const vote: Vote = { userId: voter, decision, planHash: input.currentPlanHash, at: now };
  const others = input.existingVotes.filter((v) => v.userId !== voter);
  const tally = tallyVotes([...others, vote], input.currentPlanHash, policy.required);
  const outcome =
    decision === 'reject' ? 'rejected' : tally.approvedBy.length >= policy.required ? 'approved' : 'pending';
  return { kind: 'accepted', vote, tally, outcome };
}

/** The refusals that do not depend on who clicked: decided, expired, plan changed. */
function checkOpen(
  run: VotableRun,
  policy: ApprovalPolicy,
  now: number,
  currentPlanHash: string,
): Refusal | undefined {
  if (run.state === 'expired') {
    return refusal(
      'RUN_EXPIRED',
      `${describeState(run.state)}; votes no longer count.`,
      'Ask for a new plan.',
    );
  }
  if (run.state === 'planned') {
    return refusal('APPROVAL_NOT_REQUESTED', `${describeState(run.state)}; votes do not count yet.`);
  }
  if (run.state !== 'awaiting_approval') {
    return refusal('RUN_DECIDED', `${describeState(run.state)}; votes no longer count.`);
  }
  const expiresAt = approvalExpiresAt(run, policy);
  if (expiresAt !== undefined && now >= expiresAt) {
    return refusal(
      'APPROVAL_EXPIRED',
      `This plan expired: approval had to be complete within ${policy.expiresAfterMinutes} minutes of the request.`,
      `Ask for a new plan with /migrate deploy ${run.environment}.`,
    );
  }
  if (currentPlanHash !== run.planHash) {
    return refusal(
      'PLAN_CHANGED',
      `The plan changed since it was shown (${shortHash(run.planHash)} is now ${shortHash(currentPlanHash)}); approvals given for it are void.`,
      'Review the new plan before voting.',
    );
  }
  return undefined;
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
