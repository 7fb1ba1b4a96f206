import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ManualClock } from '../../../src/base/clock.js';
import { applyRunEvent } from '../../../src/core/runs/apply-run-event.js';
import type { ApprovalPolicy } from '../../../src/core/runs/approval-policy.js';
import { castVote, type CastVoteInput } from '../../../src/core/runs/cast-vote.js';
import { planHash, type Plan } from '../../../src/core/runs/plan.js';
import { replanRun } from '../../../src/core/runs/replan-run.js';
import { RunStore } from '../../../src/store/run-store.js';
import { Store } from '../../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const plan: Plan = {
  environment: 'production',
  target: { identity: 'db.internal:5432/app', systemIdentifier: '73' },
  migrations: [{ name: '20240101000000_init', checksum: 'a'.repeat(64) }],
  createdAt: T0,
};
const HASH = planHash(plan);
const policy: ApprovalPolicy = {
  required: 2,
  approvers: ['U0ALICE', 'S0DBA'],
  allowSelfApproval: false,
  expiresAfterMinutes: 60,
};

describe('castVote, replanRun and applyRunEvent on a real store', () => {
  const clock = new ManualClock(T0);
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-vote-'));
  const store = Store.open(dir, clock);
  const runs = new RunStore(store);
  afterAll(() => store.close());

  function awaiting(): string {
    const id = runs.createRun({ environment: 'production', requestedBy: 'U0REQ', plan, planHash: HASH }).id;
    expect(applyRunEvent(runs, id, 'request_approval', { actor: 'U0REQ' }).kind).toBe('transitioned');
    return id;
  }
  const input = (runId: string, over: Partial<CastVoteInput> = {}): CastVoteInput => ({
    runId,
    voter: 'U0ALICE',
    voterGroups: [],
    decision: 'approve',
    policy,
    currentPlanHash: HASH,
    ...over,
  });

  it('approves after two distinct approvers and refuses everything else on the way', () => {
    const id = awaiting();
    expect(castVote(runs, input(id, { voter: 'U0REQ', voterGroups: ['S0DBA'] }))).toMatchObject({
      code: 'SELF_APPROVAL',
    });
    expect(castVote(runs, input(id, { voter: 'U0MALLORY' }))).toMatchObject({ code: 'NOT_AN_APPROVER' });
    expect(castVote(runs, input(id))).toMatchObject({
      kind: 'accepted',
      outcome: 'pending',
      run: { state: 'awaiting_approval' },
    });
    expect(castVote(runs, input(id))).toMatchObject({ code: 'ALREADY_VOTED' });
    const second = castVote(runs, input(id, { voter: 'U0BOB', voterGroups: ['S0DBA'] }));
    expect(second).toMatchObject({
      outcome: 'approved',
      run: { state: 'approved' },
      tally: { approvedBy: ['U0ALICE', 'U0BOB'] },
    });
    expect(castVote(runs, input(id, { voter: 'U0CAROL', voterGroups: ['S0DBA'] }))).toMatchObject({
      code: 'RUN_DECIDED',
    });
    expect(runs.listVotes(id).map((v) => v.userId)).toEqual(['U0ALICE', 'U0BOB']);
    expect(store.auditLog({ runId: id }).map((e) => [e.actor, e.action])).toEqual([
      ['U0REQ', 'run:planned'],
      ['U0REQ', 'run:awaiting_approval'],
      ['U0ALICE', 'vote:approve'],
      ['U0BOB', 'vote:approve'],
      ['U0BOB', 'run:approved'],
    ]);
  });

  it('rejects on one rejection', () => {
    const id = awaiting();
    expect(castVote(runs, input(id, { decision: 'reject' }))).toMatchObject({
      outcome: 'rejected',
      run: { state: 'rejected', outcome: 'rejected by U0ALICE' },
    });
  });

  it('expires the run when a click arrives too late', async () => {
    const id = awaiting();
    await clock.advance(60 * 60_000);
    expect(castVote(runs, input(id))).toMatchObject({ code: 'APPROVAL_EXPIRED' });
    expect(runs.getRun(id)?.state).toBe('expired');
    expect(castVote(runs, input(id))).toMatchObject({ code: 'RUN_EXPIRED' });
  });

  it('voids approvals when the plan changed, says why, and counts fresh votes on the new plan', () => {
    const id = awaiting();
    castVote(runs, input(id));
    castVote(runs, input(id, { voter: 'U0BOB', voterGroups: ['S0DBA'] }));
    expect(runs.getRun(id)?.state).toBe('approved');
    const edited: Plan = {
      ...plan,
      migrations: [{ name: '20240101000000_init', checksum: 'f'.repeat(64) }],
      createdAt: clock.now(),
    };
    expect(castVote(runs, input(id, { voter: 'U0CAROL', currentPlanHash: planHash(edited) }))).toMatchObject({
      code: 'RUN_DECIDED',
    });

    const replanned = replanRun(runs, id, edited, 'system');
    expect(replanned).toMatchObject({
      kind: 'voided',
      run: { state: 'awaiting_approval', planHash: planHash(edited) },
    });
    if (replanned.kind === 'voided') {
      expect(replanned.reasons.map((r) => r.message)).toEqual([
        'Migration 20240101000000_init was edited since the plan was shown (checksum aaaaaaaaaaaa is now ffffffffffff).',
      ]);
    }
    expect(runs.listVotes(id)).toEqual([]);
    expect(replanRun(runs, id, edited, 'system')).toMatchObject({ kind: 'unchanged' });
    expect(castVote(runs, input(id, { currentPlanHash: HASH }))).toMatchObject({ code: 'PLAN_CHANGED' });
    expect(castVote(runs, input(id, { currentPlanHash: planHash(edited) }))).toMatchObject({
      outcome: 'pending',
    });
  });

  it('refuses a new plan once the run is running', () => {
    const id = awaiting();
    castVote(runs, input(id));
    castVote(runs, input(id, { voter: 'U0BOB', voterGroups: ['S0DBA'] }));
    applyRunEvent(runs, id, 'start', { actor: 'system', expectedState: 'approved' });
    expect(replanRun(runs, id, { ...plan, migrations: [] }, 'system')).toMatchObject({
      code: 'RUN_TRANSITION_INVALID',
      message: 'This run is already running; it cannot take a new plan.',
    });
  });

  it('refuses a late click that expected an earlier state', () => {
    const id = awaiting();
    expect(applyRunEvent(runs, id, 'cancel', { actor: 'U0REQ', expectedState: 'planned' })).toMatchObject({
      code: 'RUN_STATE_CHANGED',
    });
    expect(
      applyRunEvent(runs, id, 'cancel', { actor: 'U0REQ', expectedState: 'awaiting_approval' }),
    ).toMatchObject({
      kind: 'transitioned',
      run: { state: 'cancelled' },
    });
    expect(
      applyRunEvent(runs, id, 'approve', { actor: 'U0ALICE', expectedState: 'awaiting_approval' }),
    ).toMatchObject({
      code: 'RUN_DECIDED',
      message: 'This run was cancelled; it cannot be approved.',
    });
    expect(applyRunEvent(runs, 'missing', 'cancel', { actor: 'x' })).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it('decides a one-approver run once when approvers click at the same moment from different processes', async () => {
    const id = awaiting();
    const src = resolve('src');
    const script = (voter: string): string => `
      import { Store } from '${src}/store/store.ts';
      import { RunStore } from '${src}/store/run-store.ts';
      import { castVote } from '${src}/core/runs/cast-vote.ts';
      import { ManualClock } from '${src}/base/clock.ts';
      const store = Store.open(${JSON.stringify(dir)}, new ManualClock(${clock.now()}));
      const r = castVote(new RunStore(store), { runId: ${JSON.stringify(id)}, voter: '${voter}', voterGroups: ['S0DBA'],
        decision: 'approve', policy: ${JSON.stringify({ ...policy, required: 1 })}, currentPlanHash: ${JSON.stringify(HASH)} });
      store.close();
      console.log(r.kind === 'accepted' ? r.outcome : r.code);`;
    const run = promisify(execFile);
    const outs = await Promise.all(
      ['U0P1', 'U0P2', 'U0P3', 'U0P4'].map((v) =>
        run(resolve('node_modules/.bin/tsx'), ['-e', script(v)], { timeout: 30_000 }).then((o) =>
          o.stdout.trim(),
        ),
      ),
    );
    expect(outs.sort()).toEqual(['RUN_DECIDED', 'RUN_DECIDED', 'RUN_DECIDED', 'approved']);
    expect(runs.listVotes(id)).toHaveLength(1);
    expect(store.auditLog({ runId: id }).filter((e) => e.action === 'run:approved')).toHaveLength(1);
  });
});
