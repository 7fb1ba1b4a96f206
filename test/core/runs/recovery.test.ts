import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import { applyRunEvent } from '../../../src/core/runs/apply-run-event.js';
import { planHash, type Plan } from '../../../src/core/runs/plan.js';
import { recoverAfterRestart } from '../../../src/core/runs/recovery.js';
import { RestoreStore } from '../../../src/store/restore-store.js';
import { RunStore, type RunState } from '../../../src/store/run-store.js';
import { Store } from '../../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const plan: Plan = {
  environment: 'production',
  target: { identity: 'db.internal:5432/app' },
  migrations: [{ name: '20240101000000_init', checksum: 'a'.repeat(64) }],
  createdAt: T0,
};

describe('recoverAfterRestart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-recovery-'));
  const clock = new ManualClock(T0);
  let store = Store.open(dir, clock);
  afterAll(() => store.close());

  /** Drives a run through the real lifecycle to `path`'s last state. */
  function runIn(environment: string, events: Parameters<typeof applyRunEvent>[2][]): string {
    const runs = new RunStore(store);
    const id = runs.createRun({
      environment,
      requestedBy: 'U0REQ',
      plan: { ...plan, environment },
      planHash: planHash(plan),
    }).id;
    for (const e of events) expect(applyRunEvent(runs, id, e, { actor: 'U0APP' }).kind).toBe('transitioned');
    return id;
  }

  /** The process dies (nothing is released) and a new one opens the same data directory. */
  async function restart(): Promise<void> {
    store.close();
    await clock.advance(60_000);
    store = Store.open(dir, clock);
  }

  function vote(runId: string, userId: string): void {
    const runs = new RunStore(store);
    const run = runs.getRun(runId);
    expect(
      runs.recordVote(runId, { userId, decision: 'approve', planHash: run?.planHash ?? '', at: clock.now() }),
    ).toEqual({ kind: 'recorded' });
  }

  it('interrupts only runs that had started and are not watched; a waiting run survives, an approved one waits again', async () => {
    const runs = new RunStore(store);
    const running = runIn('production', ['request_approval', 'approve', 'start']);
    runs.acquireEnvironmentLock('production', running);
    const s1 = runs.startStep(running, 'backup');
    runs.finishStep(running, s1, { state: 'succeeded' });
    runs.startStep(running, 'apply');
    const monitoring = runIn('qa', ['request_approval', 'approve', 'start', 'succeed', 'start_monitoring']);
    const approved = runIn('staging', ['request_approval']);
    vote(approved, 'U0APP');
    applyRunEvent(runs, approved, 'approve', { actor: 'U0APP' });
    const waiting = runIn('qa', ['request_approval']);
    vote(waiting, 'U0APP');
    const planned = runIn('qa', []);
    const failed = runIn('qa', ['request_approval', 'approve', 'start', 'fail']);
    const done = runIn('qa', ['request_approval', 'approve', 'start', 'succeed', 'finish']);
    const requestedAt = runs.getRun(approved)?.approvalRequestedAt;

    await restart();
    const recovered = recoverAfterRestart(store, clock);

    expect(
      recovered.interrupted.map((r) => [r.run.id, r.previousState, r.run.state, r.interruptedSteps]),
    ).toEqual([[running, 'running', 'interrupted', ['apply']]]);
    // A watched run loses nothing: its watch lives in the store and resumes.
    expect(new RunStore(store).getRun(monitoring)?.state).toBe('monitoring');
    expect(recovered.interrupted[0]?.run).toMatchObject({
      outcome: 'interrupted during apply (the bot restarted)',
      finishedAt: clock.now(),
    });
    expect(recovered.lapsedApprovals.map((l) => [l.run.id, l.run.state, l.voidedVotes])).toEqual([
      [approved, 'awaiting_approval', ['U0APP']],
    ]);
    expect(recovered.cancelled.map((r) => [r.id, r.state, r.outcome])).toEqual([
      [planned, 'cancelled', 'cancelled: the bot restarted before the run message was posted'],
    ]);
    expect(recovered.interruptedRestores).toEqual([]);

    const after = new RunStore(store);
    expect(after.listSteps(running).map((s) => [s.name, s.state, s.error])).toEqual([
      ['backup', 'succeeded', null],
      ['apply', 'failed', 'interrupted: the bot stopped while this step was running'],
    ]);
    expect(after.listEnvironmentLocks()).toEqual([]);
    const states = (ids: string[]): RunState[] => ids.map((id) => after.getRun(id)?.state as RunState);
    expect(states([waiting, failed, done])).toEqual(['awaiting_approval', 'failed', 'done']);
    // The waiting run keeps its vote and its approval window; the lapsed one starts a new window.
    expect(after.listVotes(waiting).map((v) => v.userId)).toEqual(['U0APP']);
    expect(after.listVotes(approved)).toEqual([]);
    expect(after.getRun(approved)?.approvalRequestedAt).toBe(clock.now());
    expect(after.getRun(approved)?.approvalRequestedAt).not.toBe(requestedAt);
    expect(
      store
        .auditLog({ runId: running })
        .slice(-3)
        .map((e) => [e.actor, e.action]),
    ).toEqual([
      ['system', 'lock:released'],
      ['system', 'run:interrupted'],
      ['system', 'step:failed'],
    ]);
    expect(store.auditLog({ runId: running }).find((e) => e.action === 'run:interrupted')?.detail).toEqual({
      from: 'running',
      to: 'interrupted',
      event: 'interrupt',
      detail: { previousState: 'running', interruptedSteps: ['apply'] },
    });
    expect(
      store
        .auditLog({ runId: approved })
        .slice(-2)
        .map((e) => [e.actor, e.action, e.detail]),
    ).toEqual([
      [
        'system',
        'run:awaiting_approval',
        {
          from: 'approved',
          to: 'awaiting_approval',
          event: 'approval_lapsed',
          detail: { reason: 'the bot restarted after the approval and before the run started' },
        },
      ],
      [
        'system',
        'run:votes_voided',
        {
          reason: 'approval lapsed: the bot restarted before the run started',
          voidedVotes: ['U0APP'],
        },
      ],
    ]);
    // The environment can be deployed again, and a second recovery changes nothing.
    const next = runIn('production', ['request_approval', 'approve', 'start']);
    expect(after.acquireEnvironmentLock('production', next)).toEqual({ kind: 'acquired' });
    applyRunEvent(after, next, 'fail', { actor: 'system' });
    expect(recoverAfterRestart(store, clock)).toEqual({
      interrupted: [],
      lapsedApprovals: [],
      cancelled: [],
      interruptedRestores: [],
    });
  });

  it('releases a lock left by a run that already finished', () => {
    const runs = new RunStore(store);
    const id = runIn('orphan', ['request_approval', 'approve', 'start', 'fail']);
    store.db
      .prepare('INSERT INTO environment_locks (environment, run_id, acquired_at) VALUES (?, ?, ?)')
      .run('orphan', id, clock.now());
    expect(recoverAfterRestart(store, clock).interrupted).toEqual([]);
    expect(runs.getEnvironmentLock('orphan')).toBeUndefined();
  });

  it('ends a restore the bot died during as interrupted, keeps the run as it was and frees the lock', async () => {
    const runs = new RunStore(store);
    const restores = new RestoreStore(store);
    const id = runIn('restoring', ['request_approval', 'approve', 'start', 'fail']);
    const earlier = restores.begin({
      runId: id,
      environment: 'restoring',
      backupPath: '/backups/a.dump',
      startedBy: 'U0APP',
    });
    expect(restores.finish(earlier.id, 'failed', { actor: 'system', error: 'checksum' })).toBe(true);
    expect(runs.acquireEnvironmentLock('restoring', id)).toEqual({ kind: 'acquired' });
    const started = restores.begin({
      runId: id,
      environment: 'restoring',
      backupPath: '/backups/a.dump',
      startedBy: 'U0APP',
    });
    // While it restores, the lock of the (failed) run cannot be taken over by another run.
    const other = runIn('restoring', ['request_approval', 'approve', 'start']);
    expect(runs.acquireEnvironmentLock('restoring', other)).toMatchObject({
      kind: 'refusal',
      code: 'ENVIRONMENT_LOCKED',
      message: `Run ${id} is restoring restoring from its backup; one run at a time per environment.`,
    });
    applyRunEvent(runs, other, 'cancel', { actor: 'U0APP' });

    await restart();
    const recovered = recoverAfterRestart(store, clock);

    expect(recovered.interruptedRestores).toEqual([
      {
        ...started,
        finishedAt: clock.now(),
        outcome: 'interrupted',
        error: 'interrupted: the bot stopped while this restore was running',
      },
    ]);
    const after = new RunStore(store);
    expect(after.getRun(id)?.state).toBe('failed');
    expect(after.listEnvironmentLocks()).toEqual([]);
    expect(new RestoreStore(store).listForRun(id).map((r) => r.outcome)).toEqual(['failed', 'interrupted']);
    expect(
      store
        .auditLog({ runId: id })
        .filter((e) => e.action.startsWith('restore:'))
        .map((e) => [e.actor, e.action]),
    ).toEqual([
      ['U0APP', 'restore:started'],
      ['system', 'restore:failed'],
      ['U0APP', 'restore:started'],
      ['system', 'restore:interrupted'],
    ]);
    expect(recoverAfterRestart(store, clock).interruptedRestores).toEqual([]);
  });
});
