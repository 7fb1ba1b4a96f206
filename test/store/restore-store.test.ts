import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { RestoreStore } from '../../src/store/restore-store.js';
import { RunStore, type Plan } from '../../src/store/run-store.js';
import { Store } from '../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const plan: Plan = {
  environment: 'staging',
  target: { identity: 'db.internal:5432/app' },
  migrations: [{ name: '20240101000000_init', checksum: 'a'.repeat(64) }],
  createdAt: T0,
};

describe('RestoreStore', () => {
  const clock = new ManualClock(T0);
  const store = Store.open(mkdtempSync(join(tmpdir(), 'drawbridge-restores-')), clock);
  const runs = new RunStore(store);
  const restores = new RestoreStore(store);
  afterAll(() => store.close());

  /** A run that failed, as the ways back see it. */
  function failedRun(): string {
    const id = runs.createRun({ environment: 'staging', requestedBy: 'U0REQ', plan, planHash: 'h1' }).id;
    for (const [from, to] of [
      ['planned', 'awaiting_approval'],
      ['awaiting_approval', 'approved'],
      ['approved', 'running'],
      ['running', 'failed'],
    ] as const) {
      expect(runs.transition(id, { from, to, actor: 'system', event: 'test' }).kind).toBe('transitioned');
    }
    return id;
  }

  it('records a restore from its start to its end, once, in the audit log', async () => {
    const id = failedRun();
    const started = restores.begin({
      runId: id,
      environment: 'staging',
      backupPath: '/backups/staging.dump',
      startedBy: 'U0BOB',
    });
    expect(started).toMatchObject({
      runId: id,
      environment: 'staging',
      backupPath: '/backups/staging.dump',
      startedBy: 'U0BOB',
      startedAt: T0,
      finishedAt: null,
      outcome: null,
      error: null,
    });
    expect(restores.listUnfinished()).toEqual([started]);
    await clock.advance(5_000);
    expect(restores.finish(started.id, 'failed', { actor: 'system', error: 'pg_restore exited 1' })).toBe(
      true,
    );
    expect(restores.finish(started.id, 'restored', { actor: 'U0BOB' })).toBe(false);
    expect(restores.listForRun(id)).toEqual([
      { ...started, finishedAt: T0 + 5_000, outcome: 'failed', error: 'pg_restore exited 1' },
    ]);
    expect(restores.listUnfinished()).toEqual([]);
    expect(
      store
        .auditLog({ runId: id })
        .filter((e) => e.action.startsWith('restore:'))
        .map((e) => [e.actor, e.action, e.detail]),
    ).toEqual([
      ['U0BOB', 'restore:started', { backupPath: '/backups/staging.dump' }],
      ['system', 'restore:failed', { restoreId: started.id, error: 'pg_restore exited 1' }],
    ]);
  });

  it('keeps the environment lock of a finished run while it restores, and lets it go after', () => {
    const restoring = failedRun();
    const other = runs.createRun({ environment: 'staging', requestedBy: 'U0REQ', plan, planHash: 'h1' }).id;
    expect(runs.acquireEnvironmentLock('staging', restoring)).toEqual({ kind: 'acquired' });
    const r = restores.begin({
      runId: restoring,
      environment: 'staging',
      backupPath: '/b',
      startedBy: 'U0BOB',
    });
    expect(runs.acquireEnvironmentLock('staging', other)).toEqual({
      kind: 'refusal',
      code: 'ENVIRONMENT_LOCKED',
      message: `Run ${restoring} is restoring staging from its backup; one run at a time per environment.`,
      hint: `Wait for the restore of run ${restoring} to finish.`,
    });
    expect(restores.finish(r.id, 'restored', { actor: 'U0BOB' })).toBe(true);
    // A lock left behind by a finished run that no longer restores is taken over, as before.
    expect(runs.acquireEnvironmentLock('staging', other)).toEqual({ kind: 'acquired' });
  });
});
