import {
  RUN_EVENTS,
  RUN_STATES,
  isTerminal,
  nextTransition,
  type RunEvent,
  type RunState,
} from '../../../src/core/runs/lifecycle.js';

/** Every allowed move, written out by hand from ARCHITECTURE.md's run lifecycle. */
const ALLOWED: [RunState, RunEvent, RunState][] = [
  ['planned', 'request_approval', 'awaiting_approval'],
  ['awaiting_approval', 'approve', 'approved'],
  ['awaiting_approval', 'reject', 'rejected'],
  ['awaiting_approval', 'expire', 'expired'],
  ['awaiting_approval', 'plan_changed', 'awaiting_approval'],
  ['approved', 'plan_changed', 'awaiting_approval'],
  ['planned', 'cancel', 'cancelled'],
  ['awaiting_approval', 'cancel', 'cancelled'],
  ['approved', 'cancel', 'cancelled'],
  ['running', 'cancel', 'cancelled'],
  ['approved', 'start', 'running'],
  ['running', 'succeed', 'succeeded'],
  ['running', 'fail', 'failed'],
  ['succeeded', 'start_monitoring', 'monitoring'],
  ['succeeded', 'finish', 'done'],
  ['monitoring', 'finish', 'done'],
  ['running', 'interrupt', 'interrupted'],
  ['succeeded', 'interrupt', 'interrupted'],
  ['monitoring', 'interrupt', 'interrupted'],
  ['approved', 'approval_lapsed', 'awaiting_approval'],
  ['failed', 'mark_rolled_back', 'rolled_back'],
  ['interrupted', 'mark_rolled_back', 'rolled_back'],
  ['cancelled', 'mark_rolled_back', 'rolled_back'],
  ['failed', 'restore', 'restored'],
  ['interrupted', 'restore', 'restored'],
  ['cancelled', 'restore', 'restored'],
  ['succeeded', 'restore', 'restored'],
  ['monitoring', 'restore', 'restored'],
  // After a successful migration whose application then broke: later runs are marked, not moved.
  ['done', 'restore', 'restored'],
  // Revert with down.sql: the same states as restore; the run ends rolled back.
  ['failed', 'revert_down', 'rolled_back'],
  ['interrupted', 'revert_down', 'rolled_back'],
  ['cancelled', 'revert_down', 'rolled_back'],
  ['succeeded', 'revert_down', 'rolled_back'],
  ['monitoring', 'revert_down', 'rolled_back'],
  ['done', 'revert_down', 'rolled_back'],
];

const TERMINAL: RunState[] = [
  'done',
  'rejected',
  'expired',
  'cancelled',
  'failed',
  'interrupted',
  'rolled_back',
  'restored',
];

describe('run lifecycle', () => {
  const allowed = new Map(ALLOWED.map(([s, e, to]) => [`${s}/${e}`, to]));

  it.each(RUN_STATES.flatMap((s) => RUN_EVENTS.map((e) => [s, e] as const)))('%s + %s', (state, event) => {
    const result = nextTransition(state, event);
    const expected = allowed.get(`${state}/${event}`);
    if (expected) {
      expect(result).toEqual({ kind: 'transition', from: state, to: expected, event });
    } else {
      expect(result.kind).toBe('refusal');
      if (result.kind === 'refusal') {
        expect(result.code).toMatch(/^RUN_(EXPIRED|DECIDED|FINISHED|TRANSITION_INVALID)$/);
        expect(result.message).toMatch(/^This run .+; it cannot .+\.$/);
      }
    }
  });

  it('covers 14 states and 16 events, every allowed move listed once', () => {
    expect(RUN_STATES).toHaveLength(14);
    expect(RUN_EVENTS).toHaveLength(16);
    expect(allowed.size).toBe(ALLOWED.length);
  });

  it('says why approving an expired or decided run is refused', () => {
    expect(nextTransition('expired', 'approve')).toMatchObject({
      kind: 'refusal',
      code: 'RUN_EXPIRED',
      message: 'This run expired before it was approved; it cannot be approved.',
    });
    expect(nextTransition('approved', 'approve')).toMatchObject({
      code: 'RUN_DECIDED',
      message: 'This run is already approved; it cannot be approved.',
    });
    expect(nextTransition('rejected', 'approve')).toMatchObject({ code: 'RUN_DECIDED' });
    expect(nextTransition('running', 'reject')).toMatchObject({ code: 'RUN_DECIDED' });
    expect(nextTransition('done', 'start')).toMatchObject({ code: 'RUN_FINISHED' });
    expect(nextTransition('failed', 'start')).toMatchObject({
      code: 'RUN_FINISHED',
      hint: expect.stringContaining('Restore backup') as unknown as string,
    });
    expect(nextTransition('planned', 'start')).toMatchObject({ code: 'RUN_TRANSITION_INVALID' });
  });

  it('a restart interrupts only runs that had started; an approved run that never started waits for approval again', () => {
    for (const state of ['planned', 'awaiting_approval', 'approved'] as const) {
      expect(nextTransition(state, 'interrupt')).toMatchObject({
        kind: 'refusal',
        code: 'RUN_TRANSITION_INVALID',
      });
    }
    expect(nextTransition('approved', 'approval_lapsed')).toEqual({
      kind: 'transition',
      from: 'approved',
      to: 'awaiting_approval',
      event: 'approval_lapsed',
    });
    expect(nextTransition('running', 'approval_lapsed')).toMatchObject({
      kind: 'refusal',
      message: 'This run is already running; it cannot wait for approval again.',
    });
  });

  it.each(RUN_STATES.map((s) => [s]))('isTerminal(%s)', (state) => {
    expect(isTerminal(state)).toBe(TERMINAL.includes(state));
  });

  it('lets no event leave a terminal state except the ways back from failed, interrupted and cancelled, and restore or revert with down.sql from done', () => {
    for (const [from, event] of ALLOWED) {
      if (isTerminal(from)) {
        expect(['failed', 'interrupted', 'cancelled', 'done']).toContain(from);
        expect(
          from === 'done' ? ['restore', 'revert_down'] : ['mark_rolled_back', 'restore', 'revert_down'],
        ).toContain(event);
      }
    }
  });
});
