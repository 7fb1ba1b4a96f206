import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import { applyRunEvent } from '../../../src/core/runs/apply-run-event.js';
import { planHash, type Plan } from '../../../src/core/runs/plan.js';
import { recoverInterruptedRuns } from '../../../src/core/runs/recovery.js';
import { RunStore, type RunState } from '../../../src/store/run-store.js';
import { Store } from '../../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const plan: Plan = {
  environment: 'production',
  target: { identity: 'db.internal:5432/app' },
  migrations: [{ name: '20240101000000_init', checksum: 'a'.repeat(64) }],
  createdAt: T0,
};

describe('recoverInterruptedRuns', () => {
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

  it('interrupts every unfinished run after a restart, fails its running step and frees its lock', async () => {
    const runs = new RunStore(store);
    const running = runIn('production', ['request_approval', 'approve', 'start']);
    runs.acquireEnvironmentLock('production', running);
    const s1 = runs.startStep(running, 'backup');
    runs.finishStep(running, s1, { state: 'succeeded' });
    runs.startStep(running, 'apply');
    const approved = runIn('staging', ['request_approval', 'approve']);
    runs.acquireEnvironmentLock('staging', approved);
    const waiting = runIn('qa', ['request_approval']);
    const failed = runIn('qa', ['request_approval', 'approve', 'start', 'fail']);
    const done = runIn('qa', ['request_approval', 'approve', 'start', 'succeed', 'finish']);

    // the process dies: nothing is released; a new one opens the same data directory
    store.close();
    await clock.advance(60_000);
    store = Store.open(dir, clock);
    const recovered = recoverInterruptedRuns(store, clock);

    expect(recovered.map((r) => [r.run.id, r.previousState, r.run.state, r.interruptedSteps])).toEqual([
      [running, 'running', 'interrupted', ['apply']],
      [approved, 'approved', 'interrupted', []],
      [waiting, 'awaiting_approval', 'interrupted', []],
    ]);
    expect(recovered[0]?.run).toMatchObject({
      outcome: 'interrupted during apply (the bot restarted)',
      finishedAt: clock.now(),
    });
    const after = new RunStore(store);
    expect(after.listSteps(running).map((s) => [s.name, s.state, s.error])).toEqual([
      ['backup', 'succeeded', null],
      ['apply', 'failed', 'interrupted: the bot stopped while this step was running'],
    ]);
    expect(after.listEnvironmentLocks()).toEqual([]);
    const states = (ids: string[]): RunState[] => ids.map((id) => after.getRun(id)?.state as RunState);
    expect(states([failed, done])).toEqual(['failed', 'done']);
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
    // the environment can be deployed again, and a second recovery finds nothing
    const next = runIn('production', ['request_approval']);
    expect(after.acquireEnvironmentLock('production', next)).toEqual({ kind: 'acquired' });
    expect(recoverInterruptedRuns(store, clock).map((r) => r.run.id)).toEqual([next]);
  });

  it('releases a lock left by a run that already finished', () => {
    const runs = new RunStore(store);
    const id = runIn('orphan', ['request_approval', 'approve', 'start', 'fail']);
    store.db
      .prepare('INSERT INTO environment_locks (environment, run_id, acquired_at) VALUES (?, ?, ?)')
      .run('orphan', id, clock.now());
    expect(recoverInterruptedRuns(store, clock)).toEqual([]);
    expect(runs.getEnvironmentLock('orphan')).toBeUndefined();
  });
});
