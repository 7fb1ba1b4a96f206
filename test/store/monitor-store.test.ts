import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { registerSecret } from '../../src/base/redact.js';
import { MonitorStore } from '../../src/store/monitor-store.js';
import { RunStore } from '../../src/store/run-store.js';
import { Store } from '../../src/store/store.js';

const T0 = Date.UTC(2026, 0, 1, 9);
const MIN = 60_000;

describe('MonitorStore', () => {
  let store: Store;
  let watches: MonitorStore;
  let runId: string;

  beforeEach(() => {
    store = Store.open(mkdtempSync(join(tmpdir(), 'drawbridge-watch-')), new ManualClock(T0));
    watches = new MonitorStore(store);
    runId = new RunStore(store).createRun({
      environment: 'production',
      requestedBy: 'U0REQUEST',
      plan: { environment: 'production', target: { identity: 'db:5432/app' }, migrations: [], createdAt: T0 },
      planHash: 'h1',
    }).id;
    watches.createWatch({
      runId,
      environment: 'production',
      startedAt: T0,
      endsAt: T0 + 60 * MIN,
      everyMs: 5 * MIN,
      baseline: { at: T0 },
      targets: { tables: ['public.Order'], indexes: [] },
      previous: { atMs: T0 },
    });
  });
  afterEach(() => store.close());

  const sample = (slot: number) => ({
    slot,
    dueAt: T0 + (slot + 1) * 5 * MIN,
    takenAt: T0 + (slot + 1) * 5 * MIN,
    data: { db: { lockWaiters: slot } },
    error: null,
    costMs: 7,
  });

  it('creates a watch once and lists it while it is watched', () => {
    const again = watches.createWatch({
      runId,
      environment: 'production',
      startedAt: T0 + MIN,
      endsAt: T0,
      everyMs: 1,
      baseline: null,
      targets: {},
      previous: null,
    });
    expect(again).toMatchObject({ startedAt: T0, everyMs: 5 * MIN, state: 'watching', nextSlot: 0 });
    expect(watches.listWatching().map((w) => w.runId)).toEqual([runId]);
  });

  it('records gaps and a sample in one step, only from the slot the caller read', () => {
    const gaps = [{ slot: 0, dueAt: T0 + 5 * MIN, error: 'missed' }];
    expect(watches.recordSlots(runId, 0, gaps, sample(1), { atMs: T0 + 10 * MIN })).toBe(true);
    // A second tick that read the same watch records nothing twice.
    expect(watches.recordSlots(runId, 0, gaps, sample(1), { atMs: 0 })).toBe(false);
    expect(watches.listSamples(runId).map((s) => [s.slot, s.kind, s.error, s.costMs])).toEqual([
      [0, 'gap', 'missed', null],
      [1, 'sample', null, 7],
    ]);
    expect(watches.getWatch(runId)).toMatchObject({ nextSlot: 2, previous: { atMs: T0 + 10 * MIN } });
  });

  it('ends a watch once, keeps its alerts, and redacts what it stores', () => {
    registerSecret('s3cr3t-watch-value');
    watches.addAlert(runId, 'lock_waits', T0, '2 sessions wait');
    watches.recordSlots(
      runId,
      0,
      [],
      { ...sample(0), data: { note: 'password s3cr3t-watch-value' } },
      undefined,
    );
    expect(JSON.stringify(watches.listSamples(runId))).not.toContain('s3cr3t-watch-value');
    expect(watches.endWatch(runId, T0 + 61 * MIN, 'the watch time is up')).toBe(true);
    expect(watches.endWatch(runId, T0 + 62 * MIN, 'again')).toBe(false);
    expect(watches.getWatch(runId)).toMatchObject({
      state: 'ended',
      endedAt: T0 + 61 * MIN,
      endReason: 'the watch time is up',
    });
    expect(watches.listWatching()).toEqual([]);
    expect(watches.listAlerts(runId)).toEqual([{ kind: 'lock_waits', at: T0, message: '2 sessions wait' }]);
    // No sample after the end.
    expect(watches.recordSlots(runId, 1, [], sample(1), undefined)).toBe(false);
  });
});
