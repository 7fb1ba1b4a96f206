import {
  describeApprovers,
  evaluateVote,
  groupsOf,
  resolveApprovers,
  type ApprovalPolicy,
  type VotableRun,
  type Vote,
  type VoteInput,
} from '../../../src/core/runs/approval-policy.js';
import { DrawbridgeError } from '../../../src/base/errors.js';
import type { RunState } from '../../../src/store/run-store.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const HASH = 'a'.repeat(64);
const policy: ApprovalPolicy = {
  required: 1,
  approvers: ['U0AAAAAAA', 'S0BBBBBBB'],
  allowSelfApproval: false,
  expiresAfterMinutes: 60,
};
const run: VotableRun = {
  id: 'r1',
  environment: 'production',
  state: 'awaiting_approval',
  requestedBy: 'U0REQUEST',
  planHash: HASH,
  approvalRequestedAt: T0,
};

function vote(over: Partial<VoteInput> = {}): ReturnType<typeof evaluateVote> {
  return evaluateVote({
    policy,
    run,
    voter: 'U0AAAAAAA',
    voterGroups: [],
    decision: 'approve',
    now: T0 + 60_000,
    currentPlanHash: HASH,
    existingVotes: [],
    ...over,
  });
}

describe('evaluateVote', () => {
  it('accepts an allowed approver and approves the run when the count is reached', () => {
    expect(vote()).toEqual({
      kind: 'accepted',
      vote: { userId: 'U0AAAAAAA', decision: 'approve', planHash: HASH, at: T0 + 60_000 },
      tally: { required: 1, approvedBy: ['U0AAAAAAA'], rejectedBy: [] },
      outcome: 'approved',
    });
  });

  it('accepts a member of an approver group', () => {
    expect(vote({ voter: 'U0GROUPMB', voterGroups: ['S0BBBBBBB'] })).toMatchObject({
      kind: 'accepted',
      outcome: 'approved',
    });
  });

  it('counts distinct people towards a two-approver policy', () => {
    const two = { ...policy, required: 2 };
    const first = vote({ policy: two });
    expect(first).toMatchObject({ outcome: 'pending', tally: { approvedBy: ['U0AAAAAAA'] } });
    const existing: Vote[] = [{ userId: 'U0AAAAAAA', decision: 'approve', planHash: HASH, at: T0 }];
    expect(
      vote({ policy: two, voter: 'U0OTHERMB', voterGroups: ['S0BBBBBBB'], existingVotes: existing }),
    ).toMatchObject({
      outcome: 'approved',
      tally: { approvedBy: ['U0AAAAAAA', 'U0OTHERMB'], required: 2 },
    });
  });

  it('ignores votes given for an earlier plan hash', () => {
    const stale: Vote[] = [{ userId: 'U0OTHERMB', decision: 'approve', planHash: 'b'.repeat(64), at: T0 }];
    expect(vote({ policy: { ...policy, required: 2 }, existingVotes: stale })).toMatchObject({
      outcome: 'pending',
      tally: { approvedBy: ['U0AAAAAAA'] },
    });
    // and the same person may vote again on the new plan
    expect(vote({ voter: 'U0OTHERMB', voterGroups: ['S0BBBBBBB'], existingVotes: stale })).toMatchObject({
      kind: 'accepted',
    });
  });

  it('lets a rejection by an allowed approver decide the run', () => {
    const existing: Vote[] = [{ userId: 'U0OTHERMB', decision: 'approve', planHash: HASH, at: T0 }];
    expect(
      vote({ decision: 'reject', policy: { ...policy, required: 2 }, existingVotes: existing }),
    ).toMatchObject({
      outcome: 'rejected',
      tally: { approvedBy: ['U0OTHERMB'], rejectedBy: ['U0AAAAAAA'] },
    });
  });

  it('refuses someone who is not an approver and says who can approve', () => {
    expect(vote({ voter: 'U0NOBODY1' })).toEqual({
      kind: 'refusal',
      code: 'NOT_AN_APPROVER',
      message:
        'You are not an approver for production. Who can approve: user U0AAAAAAA and members of group S0BBBBBBB.',
      hint: 'Ask one of them to review the plan.',
    });
    expect(vote({ voter: 'U0NOBODY1', decision: 'reject' })).toMatchObject({ code: 'NOT_AN_APPROVER' });
  });

  it('lets anyone approve when the approvers list is empty, except the requester', () => {
    const open = { ...policy, approvers: [] };
    expect(vote({ policy: open, voter: 'U0ANYONE1' })).toMatchObject({ kind: 'accepted' });
    expect(vote({ policy: open, voter: 'U0REQUEST' })).toMatchObject({ code: 'SELF_APPROVAL' });
  });

  it('refuses self-approval unless allowed; the requester may still reject', () => {
    const self = { voter: 'U0REQUEST', voterGroups: ['S0BBBBBBB'] };
    expect(vote(self)).toEqual({
      kind: 'refusal',
      code: 'SELF_APPROVAL',
      message: 'You requested this run, and production does not allow approving your own run.',
      hint: 'Ask another approver: user U0AAAAAAA and members of group S0BBBBBBB.',
    });
    expect(vote({ ...self, policy: { ...policy, allowSelfApproval: true } })).toMatchObject({
      outcome: 'approved',
    });
    expect(vote({ ...self, decision: 'reject' })).toMatchObject({ outcome: 'rejected' });
  });

  it('refuses a second vote by the same person', () => {
    const existing: Vote[] = [{ userId: 'U0AAAAAAA', decision: 'approve', planHash: HASH, at: T0 }];
    expect(vote({ policy: { ...policy, required: 2 }, existingVotes: existing })).toEqual({
      kind: 'refusal',
      code: 'ALREADY_VOTED',
      message: 'You already approved this plan; one vote per person.',
    });
    expect(vote({ decision: 'reject', existingVotes: existing })).toMatchObject({ code: 'ALREADY_VOTED' });
  });

  it('refuses once the approval window has passed, counting from the request', () => {
    expect(vote({ now: T0 + 60 * 60_000 - 1 })).toMatchObject({ kind: 'accepted' });
    expect(vote({ now: T0 + 60 * 60_000 })).toEqual({
      kind: 'refusal',
      code: 'APPROVAL_EXPIRED',
      message: 'This plan expired: approval had to be complete within 60 minutes of the request.',
      hint: 'Ask for a new plan with /migrate deploy production.',
    });
  });

  it('refuses when the plan changed since it was shown', () => {
    expect(vote({ currentPlanHash: 'c'.repeat(64) })).toEqual({
      kind: 'refusal',
      code: 'PLAN_CHANGED',
      message:
        'The plan changed since it was shown (aaaaaaaaaaaa is now cccccccccccc); approvals given for it are void.',
      hint: 'Review the new plan before voting.',
    });
  });

  it.each<[RunState, string]>([
    ['approved', 'RUN_DECIDED'],
    ['rejected', 'RUN_DECIDED'],
    ['cancelled', 'RUN_DECIDED'],
    ['running', 'RUN_DECIDED'],
    ['succeeded', 'RUN_DECIDED'],
    ['monitoring', 'RUN_DECIDED'],
    ['done', 'RUN_DECIDED'],
    ['failed', 'RUN_DECIDED'],
    ['interrupted', 'RUN_DECIDED'],
    ['rolled_back', 'RUN_DECIDED'],
    ['restored', 'RUN_DECIDED'],
    ['expired', 'RUN_EXPIRED'],
  ])('refuses a vote on a run that is %s', (state, code) => {
    const result = vote({ run: { ...run, state } });
    expect(result).toMatchObject({ kind: 'refusal', code });
    if (result.kind === 'refusal') expect(result.message).toMatch(/^This run .+; votes no longer count\.$/);
  });

  it('refuses a vote before approval was requested', () => {
    expect(vote({ run: { ...run, state: 'planned' } })).toMatchObject({
      code: 'APPROVAL_NOT_REQUESTED',
      message: 'This run has not been sent for approval yet; votes do not count yet.',
    });
  });

  it('checks the run before the voter: a stranger clicking a decided run hears it is decided', () => {
    expect(vote({ voter: 'U0NOBODY1', run: { ...run, state: 'approved' } })).toMatchObject({
      code: 'RUN_DECIDED',
    });
  });
});

describe('describeApprovers', () => {
  it.each<[string[], string]>([
    [[], 'any member of the workspace'],
    [['U1'], 'user U1'],
    [['U1', 'W2'], 'users U1, W2'],
    [['S1', 'S2'], 'members of groups S1, S2'],
  ])('%j', (approvers, text) => expect(describeApprovers(approvers)).toBe(text));
});

describe('resolveApprovers', () => {
  it('expands each group once and lists everyone without duplicates', async () => {
    const calls: string[] = [];
    const members: Record<string, string[]> = { S0BBBBBBB: ['U0X', 'U0AAAAAAA'], S0CCCCCCC: ['U0Y', 'U0X'] };
    const resolved = await resolveApprovers(
      ['U0AAAAAAA', 'S0BBBBBBB', 'S0CCCCCCC', 'S0BBBBBBB'],
      async (id) => {
        calls.push(id);
        return members[id] ?? [];
      },
    );
    expect(calls.sort()).toEqual(['S0BBBBBBB', 'S0CCCCCCC']);
    expect(resolved).toEqual({
      anyMember: false,
      users: ['U0AAAAAAA'],
      groups: { S0BBBBBBB: ['U0X', 'U0AAAAAAA'], S0CCCCCCC: ['U0Y', 'U0X'] },
      everyone: ['U0AAAAAAA', 'U0X', 'U0Y'],
    });
    expect(groupsOf(resolved, 'U0X')).toEqual(['S0BBBBBBB', 'S0CCCCCCC']);
    expect(groupsOf(resolved, 'U0Z')).toEqual([]);
  });

  it('says anyone may approve for an empty list', async () => {
    await expect(resolveApprovers([], async () => [])).resolves.toEqual({
      anyMember: true,
      users: [],
      groups: {},
      everyone: [],
    });
  });

  it('names the group whose lookup failed', async () => {
    const err = await resolveApprovers(['S0BROKEN1'], async () => {
      throw new Error('missing_scope');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect(err).toMatchObject({
      code: 'APPROVER_GROUP_LOOKUP_FAILED',
      message: 'Could not list the members of user group S0BROKEN1.',
    });
  });
});
