import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ManualClock } from '../../src/base/clock.js';
import { registerSecret } from '../../src/base/redact.js';
import { RunStore, type Plan } from '../../src/store/run-store.js';
import { Store } from '../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const plan: Plan = {
  environment: 'production',
  target: { identity: 'db.internal:5432/app' },
  migrations: [{ name: '20240101000000_init', checksum: 'a'.repeat(64) }],
  createdAt: T0,
};

function openStore(dir: string, clock: ManualClock): { store: Store; runs: RunStore } {
  const store = Store.open(dir, clock);
  return { store, runs: new RunStore(store) };
}

describe('RunStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-runs-'));
  const clock = new ManualClock(T0);
  let store: Store;
  let runs: RunStore;
  beforeAll(() => ({ store, runs } = openStore(dir, clock)));
  afterAll(() => store.close());

  function newRun(environment = 'production', requestedBy = 'U0REQUEST'): string {
    return runs.createRun({
      environment,
      requestedBy,
      plan: { ...plan, environment },
      planHash: 'h1',
      reason: 'ship it',
    }).id;
  }

  it('creates, reads and lists runs, newest first', async () => {
    const a = runs.createRun({
      environment: 'staging',
      requestedBy: 'U0A',
      plan,
      planHash: 'h1',
      channel: 'C1',
    });
    expect(a).toMatchObject({
      state: 'planned',
      requestedBy: 'U0A',
      plan,
      planHash: 'h1',
      channel: 'C1',
      approvalRequestedAt: null,
    });
    expect(a.id).toMatch(/^[0-9a-f]{8}$/);
    await clock.advance(1000);
    const b = runs.createRun({
      environment: 'staging',
      requestedBy: 'U0B',
      plan,
      planHash: 'h2',
      id: 'fixed-id',
    });
    runs.createRun({ environment: 'other', requestedBy: 'U0C', plan, planHash: 'h3' });
    expect(runs.listRecentRuns('staging').map((r) => r.id)).toEqual([b.id, a.id]);
    expect(runs.listRecentRuns('staging', 1).map((r) => r.id)).toEqual([b.id]);
    expect(runs.getRun('nope')).toBeUndefined();
    expect(store.auditLog({ runId: a.id }).map((e) => e.action)).toEqual(['run:planned']);
  });

  it('moves state only from the expected one and audits each move', async () => {
    const id = newRun();
    await clock.advance(5000);
    const moved = runs.transition(id, {
      from: 'planned',
      to: 'awaiting_approval',
      actor: 'U0REQUEST',
      event: 'request_approval',
    });
    expect(moved).toMatchObject({
      kind: 'transitioned',
      from: 'planned',
      run: { state: 'awaiting_approval', approvalRequestedAt: clock.now() },
    });
    expect(
      runs.transition(id, { from: 'planned', to: 'cancelled', actor: 'U0X', event: 'cancel' }),
    ).toMatchObject({
      kind: 'refusal',
      code: 'RUN_STATE_CHANGED',
      message: `Run ${id} is awaiting_approval now, not planned: someone else acted on it first.`,
    });
    runs.transition(id, { from: 'awaiting_approval', to: 'approved', actor: 'U0APPROVE', event: 'approve' });
    await clock.advance(1000);
    const running = runs.transition(id, { from: 'approved', to: 'running', actor: 'system', event: 'start' });
    expect(running).toMatchObject({ run: { startedAt: clock.now(), finishedAt: null } });
    await clock.advance(1000);
    const failed = runs.transition(id, {
      from: 'running',
      to: 'failed',
      actor: 'system',
      event: 'fail',
      outcome: 'apply failed',
    });
    expect(failed).toMatchObject({
      run: { state: 'failed', finishedAt: clock.now(), outcome: 'apply failed' },
    });
    const audit = store.auditLog({ runId: id });
    expect(audit.map((e) => [e.actor, e.action])).toEqual([
      ['U0REQUEST', 'run:planned'],
      ['U0REQUEST', 'run:awaiting_approval'],
      ['U0APPROVE', 'run:approved'],
      ['system', 'run:running'],
      ['system', 'run:failed'],
    ]);
    expect(audit[2]?.detail).toEqual({
      from: 'awaiting_approval',
      to: 'approved',
      event: 'approve',
      detail: null,
    });
    expect(
      runs.transition('missing', { from: 'planned', to: 'cancelled', actor: 'x', event: 'cancel' }),
    ).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it('lets only one of two connections move a run out of awaiting_approval', () => {
    const id = newRun();
    runs.transition(id, {
      from: 'planned',
      to: 'awaiting_approval',
      actor: 'U0REQUEST',
      event: 'request_approval',
    });
    const other = openStore(dir, clock);
    try {
      const results = [
        runs.transition(id, { from: 'awaiting_approval', to: 'approved', actor: 'U0ONE', event: 'approve' }),
        other.runs.transition(id, {
          from: 'awaiting_approval',
          to: 'rejected',
          actor: 'U0TWO',
          event: 'reject',
        }),
      ];
      expect(results.map((r) => r.kind)).toEqual(['transitioned', 'refusal']);
      expect(other.runs.getRun(id)?.state).toBe('approved');
    } finally {
      other.store.close();
    }
  });

  it('lets only one of several processes racing on the same file win', async () => {
    const id = newRun();
    runs.transition(id, {
      from: 'planned',
      to: 'awaiting_approval',
      actor: 'U0REQUEST',
      event: 'request_approval',
    });
    const tsx = resolve('node_modules/.bin/tsx');
    const src = resolve('src');
    const script = (voter: string): string => `
      import { Store } from '${src}/store/store.ts';
      import { RunStore } from '${src}/store/run-store.ts';
      import { ManualClock } from '${src}/base/clock.ts';
      const store = Store.open(${JSON.stringify(dir)}, new ManualClock(${T0}));
      const r = new RunStore(store).transition(${JSON.stringify(id)}, { from: 'awaiting_approval', to: 'approved', actor: '${voter}', event: 'approve' });
      store.close();
      console.log(r.kind);`;
    const run = promisify(execFile);
    const outs = await Promise.all(
      ['U0P1', 'U0P2', 'U0P3', 'U0P4'].map((v) =>
        run(tsx, ['-e', script(v)], { timeout: 30_000 }).then((o) => o.stdout.trim()),
      ),
    );
    expect(outs.filter((o) => o === 'transitioned')).toHaveLength(1);
    expect(outs.filter((o) => o === 'refusal')).toHaveLength(3);
    expect(store.auditLog({ runId: id }).filter((e) => e.action === 'run:approved')).toHaveLength(1);
  });

  it('records one vote per person per plan hash, and replaces void ones', () => {
    const id = newRun();
    expect(runs.recordVote(id, { userId: 'U0A', decision: 'approve', planHash: 'h1', at: 1 })).toEqual({
      kind: 'recorded',
    });
    expect(runs.recordVote(id, { userId: 'U0A', decision: 'reject', planHash: 'h1', at: 2 })).toMatchObject({
      code: 'ALREADY_VOTED',
    });
    expect(runs.recordVote(id, { userId: 'U0B', decision: 'reject', planHash: 'h1', at: 3 })).toEqual({
      kind: 'recorded',
    });
    expect(runs.recordVote(id, { userId: 'U0A', decision: 'reject', planHash: 'h2', at: 4 })).toEqual({
      kind: 'recorded',
    });
    expect(runs.listVotes(id)).toEqual([
      { userId: 'U0B', decision: 'reject', planHash: 'h1', at: 3 },
      { userId: 'U0A', decision: 'reject', planHash: 'h2', at: 4 },
    ]);
    expect(
      runs.recordVote('missing', { userId: 'U0A', decision: 'approve', planHash: 'h1', at: 1 }),
    ).toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect(store.auditLog({ runId: id }).map((e) => e.action)).toEqual([
      'run:planned',
      'vote:approve',
      'vote:reject',
      'vote:reject',
    ]);
  });

  it('replaces the plan and voids the votes', () => {
    const id = newRun();
    runs.recordVote(id, { userId: 'U0A', decision: 'approve', planHash: 'h1', at: 1 });
    const next: Plan = {
      ...plan,
      migrations: [...plan.migrations, { name: '20240102000000_more', checksum: 'b'.repeat(64) }],
    };
    runs.replacePlan(id, next, 'h9', 'system', [
      'Migration 20240102000000_more is new since the plan was shown.',
    ]);
    expect(runs.getRun(id)).toMatchObject({ plan: next, planHash: 'h9' });
    expect(runs.listVotes(id)).toEqual([]);
    expect(store.auditLog({ runId: id }).at(-1)).toMatchObject({
      action: 'run:plan_replaced',
      detail: { from: 'h1', to: 'h9', voidedVotes: ['U0A'] },
    });
  });

  it('records steps with redacted errors and marks the rest not run', async () => {
    registerSecret('s3cret-db-pass');
    const id = newRun();
    const startedAt = clock.now();
    const s1 = runs.startStep(id, 'preflight');
    await clock.advance(250);
    runs.finishStep(id, s1, { state: 'succeeded', detail: { serverVersion: '15.6' } });
    const s2 = runs.startStep(id, 'backup');
    runs.finishStep(id, s2, {
      state: 'failed',
      error: 'pg_dump: connection to postgres://app:s3cret-db-pass@db/app failed',
    });
    runs.markStepsNotRun(id, ['preflight', 'backup', 'apply', 'verify']);
    const steps = runs.listSteps(id);
    expect(steps.map((s) => [s.seq, s.name, s.state])).toEqual([
      [1, 'preflight', 'succeeded'],
      [2, 'backup', 'failed'],
      [3, 'apply', 'not_run'],
      [4, 'verify', 'not_run'],
    ]);
    expect(steps[0]).toMatchObject({
      startedAt,
      finishedAt: startedAt + 250,
      detail: { serverVersion: '15.6' },
    });
    expect(steps[1]?.error).toBe('pg_dump: connection to postgres://app:***@db/app failed');
    expect(JSON.stringify(store.auditLog({ runId: id }))).not.toContain('s3cret-db-pass');
    expect(() => runs.finishStep(id, 99, { state: 'succeeded' })).toThrow(/no step 99/);
    const s5 = runs.startStep(id, 'post-deploy');
    expect(runs.failRunningSteps(id, 'interrupted')).toEqual(['post-deploy']);
    expect(runs.listSteps(id).find((s) => s.seq === s5)).toMatchObject({
      state: 'failed',
      error: 'interrupted',
    });
  });

  it('keeps one non-terminal run per environment, and the lock survives a restart', () => {
    const first = newRun('lockenv');
    const second = newRun('lockenv');
    expect(runs.acquireEnvironmentLock('lockenv', first)).toEqual({ kind: 'acquired' });
    expect(runs.acquireEnvironmentLock('lockenv', first)).toEqual({ kind: 'acquired' });
    store.close();
    ({ store, runs } = openStore(dir, clock));
    expect(runs.getEnvironmentLock('lockenv')).toEqual({
      environment: 'lockenv',
      runId: first,
      acquiredAt: clock.now(),
    });
    expect(runs.acquireEnvironmentLock('lockenv', second)).toEqual({
      kind: 'refusal',
      code: 'ENVIRONMENT_LOCKED',
      message: `Run ${first} (planned, requested by U0REQUEST) holds the lockenv lock; one run at a time per environment.`,
      hint: `Wait for run ${first} to finish, or cancel it with /migrate cancel ${first}.`,
    });
    expect(runs.releaseEnvironmentLock('lockenv', second)).toBe(false);
    expect(runs.releaseEnvironmentLock('lockenv', first)).toBe(true);
    expect(runs.acquireEnvironmentLock('lockenv', second)).toEqual({ kind: 'acquired' });
    expect(
      store
        .auditLog({ environment: 'lockenv' })
        .filter((e) => e.action.startsWith('lock:'))
        .map((e) => e.action),
    ).toEqual(['lock:acquired', 'lock:released', 'lock:acquired']);
  });

  it('releases the lock when its run ends, and takes over a lock left by a finished run', () => {
    const a = newRun('env2');
    runs.acquireEnvironmentLock('env2', a);
    runs.transition(a, { from: 'planned', to: 'cancelled', actor: 'U0REQUEST', event: 'cancel' });
    expect(runs.getEnvironmentLock('env2')).toBeUndefined();
    const b = newRun('env2');
    runs.acquireEnvironmentLock('env2', b);
    // a lock row whose run ended without releasing it (written as an older release would have)
    store.db.prepare(`UPDATE runs SET state = 'done' WHERE id = ?`).run(b);
    const c = newRun('env2');
    expect(runs.acquireEnvironmentLock('env2', c)).toEqual({ kind: 'acquired' });
    expect(store.auditLog({ environment: 'env2' }).find((e) => e.action === 'lock:taken_over')).toMatchObject(
      {
        runId: c,
        detail: { from: b, fromState: 'done' },
      },
    );
  });

  it('finds the runs that are not finished', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'drawbridge-runs-'));
    const s = openStore(fresh, clock);
    try {
      const mk = (): string =>
        s.runs.createRun({ environment: 'e', requestedBy: 'U', plan, planHash: 'h' }).id;
      const open = mk();
      const done = mk();
      s.runs.transition(done, { from: 'planned', to: 'cancelled', actor: 'U', event: 'cancel' });
      expect(s.runs.findNonTerminalRuns().map((r) => r.id)).toEqual([open]);
    } finally {
      s.store.close();
    }
  });
});
