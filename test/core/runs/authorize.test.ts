import {
  RUN_ACTIONS,
  authorize,
  availability,
  offered,
  type ApplyEvidence,
  type ApprovalPolicy,
  type AuthorizableRun,
  type AuthorizeInput,
  type RunAction,
} from '../../../src/core/runs/authorize.js';
import { RUN_STATES, type RunState } from '../../../src/core/runs/lifecycle.js';
import type { StepRecord } from '../../../src/store/run-types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const HASH = 'a'.repeat(64);
const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0AAAAAAA';
const GROUP = 'S0BBBBBBB';
const MEMBER = 'U0GROUPMB';
const STRANGER = 'U0STRANGE';

const named: ApprovalPolicy = {
  required: 1,
  approvers: [APPROVER, GROUP],
  allowSelfApproval: false,
  expiresAfterMinutes: 60,
};
const nobodyNamed: ApprovalPolicy = { ...named, approvers: [] };

function step(name: string, state: StepRecord['state'], detail: unknown = null): StepRecord {
  return { seq: 1, name, state, startedAt: T0, finishedAt: null, detail, error: null };
}

function runIn(state: RunState): AuthorizableRun {
  return {
    id: 'r1',
    environment: 'production',
    state,
    requestedBy: REQUESTER,
    planHash: HASH,
    approvalRequestedAt: T0,
  };
}

/**
 * Facts under which only the state and the person decide: the pipeline is driven here and is in a
 * step Cancel can stop, a verified backup exists, and the evidence proves nothing was left behind.
 */
function favourable(state: RunState, over: Partial<AuthorizeInput> = {}): AuthorizeInput {
  return {
    run: runIn(state),
    policy: named,
    now: T0 + 60_000,
    steps: [step('backup', 'succeeded'), step('apply', state === 'running' ? 'running' : 'failed')],
    active: true,
    hasBackup: true,
    evidence: { name: 'm2', verdict: 'not_applied', description: 'm2 left nothing behind.' },
    maintenanceOn: true,
    downSql: { missing: [], total: 2 },
    votes: [],
    actor: APPROVER,
    actorGroups: [],
    ...over,
  };
}

/** The states each action may happen in, written out by hand from the lifecycle table. */
const STATES: Record<RunAction, readonly RunState[]> = {
  approve: ['awaiting_approval'],
  reject: ['awaiting_approval'],
  cancel: ['planned', 'awaiting_approval', 'approved', 'running'],
  // The ways back: restore also from a run deployed, watched or done (the application broke after).
  restore: ['succeeded', 'monitoring', 'done', 'cancelled', 'failed', 'interrupted'],
  mark_rolled_back: ['cancelled', 'failed', 'interrupted'],
  // A new run, once this one ended without its migrations in.
  retry: ['expired', 'cancelled', 'failed', 'interrupted', 'rolled_back', 'restored'],
  // A stopped run (or one a way back ended) that left maintenance mode on.
  maintenance_off: ['cancelled', 'failed', 'interrupted', 'rolled_back', 'restored'],
  // The post-deploy watch, while it runs.
  stop_watching: ['monitoring'],
  // Revert with down.sql: where restore may happen.
  revert_down: ['succeeded', 'monitoring', 'done', 'cancelled', 'failed', 'interrupted'],
};

/** The refusal code for each action in a state it may not happen in. */
function stateCode(action: RunAction, state: RunState): string {
  switch (action) {
    case 'approve':
    case 'reject':
      return state === 'planned'
        ? 'APPROVAL_NOT_REQUESTED'
        : state === 'expired'
          ? 'RUN_EXPIRED'
          : 'RUN_DECIDED';
    case 'cancel':
      if (state === 'expired') return 'RUN_EXPIRED';
      return ['succeeded', 'monitoring'].includes(state) ? 'RUN_TRANSITION_INVALID' : 'RUN_FINISHED';
    case 'restore':
      return 'RUN_NOT_RESTORABLE';
    case 'mark_rolled_back':
      return 'RUN_NOT_FAILED';
    case 'retry':
      return 'RUN_NOT_RETRYABLE';
    case 'maintenance_off':
      return 'RUN_NOT_STOPPED';
    case 'stop_watching':
      return 'RUN_NOT_WATCHED';
    case 'revert_down':
      return 'RUN_NOT_REVERTIBLE';
  }
}

type Role = 'requester' | 'approver' | 'group member' | 'stranger';
const ROLES: Record<Role, { actor: string; actorGroups: string[] }> = {
  requester: { actor: REQUESTER, actorGroups: [] },
  approver: { actor: APPROVER, actorGroups: [] },
  'group member': { actor: MEMBER, actorGroups: [GROUP] },
  stranger: { actor: STRANGER, actorGroups: [] },
};

/** Who may, once the state allows it: undefined = allowed, else the refusal code. */
const WHO: Record<'named' | 'nobody named', Record<RunAction, Record<Role, string | undefined>>> = {
  named: {
    approve: {
      requester: 'NOT_AN_APPROVER',
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_AN_APPROVER',
    },
    reject: {
      requester: 'NOT_AN_APPROVER',
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_AN_APPROVER',
    },
    cancel: { requester: undefined, approver: undefined, 'group member': undefined, stranger: 'NOT_ALLOWED' },
    restore: {
      requester: undefined,
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_ALLOWED',
    },
    mark_rolled_back: {
      requester: undefined,
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_ALLOWED',
    },
    retry: { requester: undefined, approver: undefined, 'group member': undefined, stranger: undefined },
    maintenance_off: {
      requester: undefined,
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_ALLOWED',
    },
    stop_watching: {
      requester: undefined,
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_ALLOWED',
    },
    revert_down: {
      requester: undefined,
      approver: undefined,
      'group member': undefined,
      stranger: 'NOT_ALLOWED',
    },
  },
  // Anyone may vote (but not approve their own run); acting on someone else's run needs standing.
  'nobody named': {
    approve: {
      requester: 'SELF_APPROVAL',
      approver: undefined,
      'group member': undefined,
      stranger: undefined,
    },
    reject: { requester: undefined, approver: undefined, 'group member': undefined, stranger: undefined },
    cancel: {
      requester: undefined,
      approver: 'NOT_ALLOWED',
      'group member': 'NOT_ALLOWED',
      stranger: 'NOT_ALLOWED',
    },
    restore: {
      requester: undefined,
      approver: 'NOT_ALLOWED',
      'group member': 'NOT_ALLOWED',
      stranger: 'NOT_ALLOWED',
    },
    mark_rolled_back: {
      requester: undefined,
      approver: 'NOT_ALLOWED',
      'group member': 'NOT_ALLOWED',
      stranger: 'NOT_ALLOWED',
    },
    retry: { requester: undefined, approver: undefined, 'group member': undefined, stranger: undefined },
    maintenance_off: {
      requester: undefined,
      approver: 'NOT_ALLOWED',
      'group member': 'NOT_ALLOWED',
      stranger: 'NOT_ALLOWED',
    },
    stop_watching: {
      requester: undefined,
      approver: 'NOT_ALLOWED',
      'group member': 'NOT_ALLOWED',
      stranger: 'NOT_ALLOWED',
    },
    revert_down: {
      requester: undefined,
      approver: 'NOT_ALLOWED',
      'group member': 'NOT_ALLOWED',
      stranger: 'NOT_ALLOWED',
    },
  },
};

function outcome(r: ReturnType<typeof authorize>): string {
  return r.kind === 'allowed' ? 'allowed' : r.code;
}

describe('authorize: every action × person × state', () => {
  const cases = RUN_ACTIONS.flatMap((action) =>
    (['named', 'nobody named'] as const).flatMap((policyName) =>
      (Object.keys(ROLES) as Role[]).flatMap((role) =>
        RUN_STATES.map((state) => [action, policyName, role, state] as const),
      ),
    ),
  );

  it.each(cases)('%s · approvers %s · %s · %s', (action, policyName, role, state) => {
    const policy = policyName === 'named' ? named : nobodyNamed;
    const expected = STATES[action].includes(state)
      ? (WHO[policyName][action][role] ?? 'allowed')
      : stateCode(action, state);
    expect(outcome(authorize(action, favourable(state, { policy, ...ROLES[role] })))).toBe(expected);
  });

  it('availability agrees with authorize for someone allowed, and asks nothing about the person', () => {
    for (const action of RUN_ACTIONS) {
      for (const state of RUN_STATES) {
        const facts = favourable(state, ROLES.approver);
        const open = availability(action, facts);
        expect(open === undefined).toBe(STATES[action].includes(state));
        expect(open?.code ?? 'allowed').toBe(outcome(authorize(action, facts)));
      }
    }
  });
});

describe('authorize: votes (evaluateVote keeps these)', () => {
  const open = (over: Partial<AuthorizeInput>) =>
    outcome(authorize('approve', favourable('awaiting_approval', over)));

  it('refuses after the approval window, and on a changed plan', () => {
    expect(open({ now: T0 + 60 * 60_000 })).toBe('APPROVAL_EXPIRED');
    expect(open({ now: T0 + 60 * 60_000 - 1 })).toBe('allowed');
    expect(open({ currentPlanHash: 'b'.repeat(64) })).toBe('PLAN_CHANGED');
  });

  it('lets a requester who is an approver approve only when self-approval is allowed, and always reject', () => {
    const policy = { ...named, approvers: [REQUESTER] };
    expect(open({ policy, actor: REQUESTER })).toBe('SELF_APPROVAL');
    expect(open({ policy: { ...policy, allowSelfApproval: true }, actor: REQUESTER })).toBe('allowed');
    const reject = authorize('reject', favourable('awaiting_approval', { policy, actor: REQUESTER }));
    expect(outcome(reject)).toBe('allowed');
  });

  it('counts one vote per person and plan', () => {
    const mine = { userId: APPROVER, decision: 'reject' as const, planHash: HASH, at: T0 };
    expect(open({ votes: [mine] })).toBe('ALREADY_VOTED');
    expect(open({ votes: [{ ...mine, planHash: 'c'.repeat(64) }] })).toBe('allowed');
    expect(open({ votes: [{ ...mine, userId: MEMBER }] })).toBe('allowed');
  });

  it('names the state before the person: a stranger hears that the run is decided', () => {
    const r = authorize('approve', favourable('approved', ROLES.stranger));
    expect(r).toMatchObject({
      code: 'RUN_DECIDED',
      message: 'This run is already approved; votes no longer count.',
    });
  });
});

describe('offered: the buttons of a run message', () => {
  it('offers what is available, whoever looks', () => {
    for (const action of RUN_ACTIONS)
      for (const state of RUN_STATES)
        expect(offered(action, favourable(state, ROLES.stranger))).toBe(STATES[action].includes(state));
  });

  it('keeps Approve and Reject once the window has passed, until the run is expired', () => {
    const late = favourable('awaiting_approval', { now: T0 + 61 * 60_000 });
    expect(offered('approve', late)).toBe(true);
    expect(offered('reject', late)).toBe(true);
    expect(outcome(authorize('approve', late))).toBe('APPROVAL_EXPIRED');
  });

  it('hides the ways back the record does not support', () => {
    expect(offered('restore', favourable('failed', { hasBackup: false }))).toBe(false);
    const partial: ApplyEvidence = { name: 'm2', verdict: 'partial', description: 'x' };
    expect(offered('mark_rolled_back', favourable('failed', { evidence: partial }))).toBe(false);
    expect(offered('cancel', favourable('running', { active: false }))).toBe(false);
  });
});

describe('authorize: rehearsal required and down.sql', () => {
  const approve = (over: Partial<AuthorizeInput>) =>
    outcome(authorize('approve', favourable('awaiting_approval', over)));
  const gate = { required: true, planHash: HASH, passed: false, hasShadow: true };

  it('refuses Approve until a rehearsal of this exact plan hash succeeded, and keeps the buttons', () => {
    expect(approve({ rehearsal: gate })).toBe('REHEARSAL_REQUIRED');
    expect(approve({ rehearsal: { ...gate, latest: 'running' } })).toBe('REHEARSAL_REQUIRED');
    expect(approve({ rehearsal: { ...gate, passed: true } })).toBe('allowed');
    expect(approve({ rehearsal: { ...gate, required: false } })).toBe('allowed');
    expect(offered('approve', favourable('awaiting_approval', { rehearsal: gate }))).toBe(true);
    expect(outcome(authorize('reject', favourable('awaiting_approval', { rehearsal: gate })))).toBe(
      'allowed',
    );
  });

  it('does not count a rehearsal of another plan hash', () => {
    const other = { ...gate, passed: true, planHash: 'c'.repeat(64) };
    const r = authorize('approve', favourable('awaiting_approval', { rehearsal: other }));
    expect(r).toMatchObject({ code: 'REHEARSAL_REQUIRED' });
  });

  it('offers Revert with down.sql only when every planned migration has one', () => {
    const done = (downSql: AuthorizeInput['downSql']) => favourable('done', { downSql });
    expect(offered('revert_down', done({ missing: [], total: 2 }))).toBe(true);
    expect(offered('revert_down', done({ missing: ['m2'], total: 2 }))).toBe(false);
    expect(outcome(authorize('revert_down', done({ missing: ['m2'], total: 2 })))).toBe('NO_DOWN_SQL');
    expect(offered('revert_down', done(undefined))).toBe(false);
  });
});

describe('authorize: cancel', () => {
  const cancel = (over: Partial<AuthorizeInput>) => outcome(authorize('cancel', favourable('running', over)));
  const running = (name: string): StepRecord[] => [step('preflight', 'succeeded'), step(name, 'running')];

  it('while running: needs the cancel switch of this process and a step before the migrations are in', () => {
    expect(cancel({ active: false })).toBe('RUN_NOT_ACTIVE');
    for (const name of ['preflight', 'announce', 'maintenance_on', 'backup', 'apply'])
      expect(cancel({ steps: running(name) })).toBe('allowed');
    for (const name of ['verify', 'post_deploy', 'health_check', 'maintenance_off', 'close'])
      expect(cancel({ steps: running(name) })).toBe('TOO_LATE_TO_CANCEL');
    expect(cancel({ steps: [step('preflight', 'succeeded')] })).toBe('allowed');
  });

  it('/migrate cancel stops before apply only; the button also cancels the running statement', () => {
    expect(cancel({ steps: running('apply'), beforeApplyOnly: true })).toBe('APPLY_STARTED');
    expect(cancel({ steps: running('backup'), beforeApplyOnly: true })).toBe('allowed');
    expect(cancel({ steps: running('verify'), beforeApplyOnly: true })).toBe('TOO_LATE_TO_CANCEL');
  });

  it('before the run starts, the pipeline facts do not matter', () => {
    for (const state of ['planned', 'awaiting_approval', 'approved'] as const)
      expect(outcome(authorize('cancel', favourable(state, { active: false, steps: [] })))).toBe('allowed');
  });

  it('tells a stranger who may', () => {
    const r = authorize('cancel', favourable('awaiting_approval', ROLES.stranger));
    expect(r).toMatchObject({
      code: 'NOT_ALLOWED',
      message: `Only the requester (@${REQUESTER}) or an approver of production can cancel run r1.`,
    });
  });
});

describe('authorize: the ways back', () => {
  const failedStep = step('apply', 'failed', { data: { failed: 'm2' } });
  const mark = (state: RunState, over: Partial<AuthorizeInput>) =>
    outcome(authorize('mark_rolled_back', favourable(state, over)));
  const verdict = (v: ApplyEvidence['verdict']): ApplyEvidence => ({
    name: 'm2',
    verdict: v,
    description: 'x',
  });

  it('restore needs a verified backup, whatever the state', () => {
    for (const state of STATES.restore)
      expect(outcome(authorize('restore', favourable(state, { hasBackup: false })))).toBe('NO_BACKUP');
  });

  it('restore is refused, and not offered, once the backup is gone for good', () => {
    const gone = { backupGone: 'retention removed it and it was never copied off' };
    for (const state of STATES.restore) {
      expect(authorize('restore', favourable(state, gone))).toMatchObject({
        code: 'BACKUP_GONE',
        message: 'The backup of run r1 is gone: retention removed it and it was never copied off.',
      });
      expect(offered('restore', favourable(state, gone))).toBe(false);
    }
  });

  it('mark rolled back with a verdict: only when the migration left nothing behind', () => {
    expect(mark('failed', { evidence: verdict('not_applied') })).toBe('allowed');
    for (const v of ['applied', 'partial', 'applied_unrecorded', 'running', 'unknown'] as const)
      expect(mark('failed', { evidence: verdict(v) })).toBe('NOT_PROVEN_ROLLED_BACK');
  });

  it('mark rolled back without a verdict: a failed migration recorded, or interrupted during apply', () => {
    expect(mark('failed', { evidence: undefined, steps: [failedStep] })).toBe('allowed');
    expect(mark('cancelled', { evidence: undefined, steps: [failedStep] })).toBe('allowed');
    expect(mark('interrupted', { evidence: undefined, steps: [step('apply', 'failed')] })).toBe('allowed');
    expect(mark('failed', { evidence: undefined, steps: [step('apply', 'failed')] })).toBe('NOTHING_FAILED');
    expect(mark('cancelled', { evidence: undefined, steps: [step('backup', 'failed')] })).toBe(
      'NOTHING_FAILED',
    );
    expect(mark('interrupted', { evidence: undefined, steps: [] })).toBe('NOTHING_FAILED');
  });

  it('mark rolled back after the Prisma runner: its failed migration is found as the native one is', () => {
    // As the Prisma runner records it now (one name, the whole list beside it) and as it did before.
    const now = step('apply', 'failed', { data: { applied: ['m1'], failed: 'm2', failedAll: ['m2'] } });
    const before = step('apply', 'failed', { data: { applied: ['m1'], failed: ['m2'] } });
    for (const recorded of [now, before]) {
      expect(mark('failed', { evidence: undefined, steps: [recorded] })).toBe('allowed');
      expect(
        offered('mark_rolled_back', favourable('failed', { evidence: undefined, steps: [recorded] })),
      ).toBe(true);
    }
    const none = step('apply', 'failed', { data: { applied: [], failed: [] } });
    expect(mark('failed', { evidence: undefined, steps: [none] })).toBe('NOTHING_FAILED');
  });

  it('turn maintenance off: on a stopped run whose steps show it still on, for the requester or an approver', () => {
    for (const state of STATES.maintenance_off) {
      expect(outcome(authorize('maintenance_off', favourable(state)))).toBe('allowed');
      expect(outcome(authorize('maintenance_off', favourable(state, { maintenanceOn: false })))).toBe(
        'MAINTENANCE_NOT_ON',
      );
    }
    expect(authorize('maintenance_off', favourable('done'))).toMatchObject({
      code: 'RUN_NOT_STOPPED',
      message:
        'Run r1 is done: Turn maintenance off is for a failed, cancelled, interrupted, rolled back or restored run.',
    });
  });

  it('words the refusal by the lifecycle table', () => {
    expect(authorize('restore', favourable('rolled_back'))).toMatchObject({
      message:
        'Run r1 is rolled back: Restore backup is only for a succeeded, monitoring, done, cancelled, failed or interrupted run.',
    });
    expect(authorize('mark_rolled_back', favourable('rolled_back'))).toMatchObject({
      message: 'Run r1 is rolled back: Mark rolled back is only for a cancelled, failed or interrupted run.',
    });
  });

  it('missing facts count against the action', () => {
    const bare: AuthorizeInput = {
      run: runIn('failed'),
      policy: named,
      now: T0,
      actor: APPROVER,
      actorGroups: [],
    };
    expect(outcome(authorize('restore', bare))).toBe('NO_BACKUP');
    expect(outcome(authorize('mark_rolled_back', bare))).toBe('NOTHING_FAILED');
    expect(outcome(authorize('cancel', { ...bare, run: runIn('running') }))).toBe('RUN_NOT_ACTIVE');
    expect(outcome(authorize('retry', bare))).toBe('allowed');
  });
});
