/**
 * The post-deploy watches (schema step 7): one row per watched run with its schedule, baseline and
 * the counters of the previous sample; one row per sampling slot, a sample or a gap; the alerts
 * raised. JSON columns hold what core/monitor decides; this layer only stores it (redacted).
 */
import { redactDeep } from '../base/redact.js';
import type { Store } from './store.js';

/** watching: sampled by the ticker; ended: the time is up, stopped by a person, or the run left monitoring. */
export type WatchState = 'watching' | 'ended';

/** A watch as stored. */
export interface WatchRecord {
  readonly runId: string;
  readonly environment: string;
  readonly state: WatchState;
  /** When the deploy finished: slot `n` is due at `startedAt + (n + 1) * everyMs`. */
  readonly startedAt: number;
  readonly endsAt: number;
  readonly everyMs: number;
  readonly baseline: unknown;
  /** Tables and indexes the migrations touched and created. */
  readonly targets: unknown;
  /** Counters of the previous sample (for deltas), or null before the first. */
  readonly previous: unknown;
  /** The first slot not yet recorded. */
  readonly nextSlot: number;
  readonly endedAt: number | null;
  readonly endReason: string | null;
}

/** One sampling slot: a sample, or a gap (the sample failed, or the bot was not running). */
export interface SampleRecord {
  readonly slot: number;
  readonly dueAt: number;
  readonly takenAt: number | null;
  readonly kind: 'sample' | 'gap';
  readonly data: unknown;
  readonly error: string | null;
  /** What taking the sample cost, in ms of the injected clock. */
  readonly costMs: number | null;
}

export interface AlertRecord {
  readonly kind: string;
  readonly at: number;
  readonly message: string;
}

interface WatchRow {
  run_id: string;
  environment: string;
  state: WatchState;
  started_at: number;
  ends_at: number;
  every_ms: number;
  baseline_json: string | null;
  targets_json: string;
  previous_json: string | null;
  next_slot: number;
  ended_at: number | null;
  end_reason: string | null;
}

const json = (v: unknown): string => JSON.stringify(redactDeep(v));
const parse = (s: string | null): unknown => (s === null ? null : (JSON.parse(s) as unknown));

function toWatch(r: WatchRow): WatchRecord {
  return {
    runId: r.run_id,
    environment: r.environment,
    state: r.state,
    startedAt: r.started_at,
    endsAt: r.ends_at,
    everyMs: r.every_ms,
    baseline: parse(r.baseline_json),
    targets: parse(r.targets_json),
    previous: parse(r.previous_json),
    nextSlot: r.next_slot,
    endedAt: r.ended_at,
    endReason: r.end_reason,
  };
}

export class MonitorStore {
  constructor(private readonly store: Store) {}

  /** Creates the watch of a run (once: a second call changes nothing). */
  createWatch(w: {
    runId: string;
    environment: string;
    startedAt: number;
    endsAt: number;
    everyMs: number;
    baseline: unknown;
    targets: unknown;
    previous: unknown;
  }): WatchRecord {
    this.store.db
      .prepare(
        `INSERT OR IGNORE INTO monitor_watches
           (run_id, environment, state, started_at, ends_at, every_ms, baseline_json, targets_json, previous_json)
         VALUES (?, ?, 'watching', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        w.runId,
        w.environment,
        w.startedAt,
        w.endsAt,
        w.everyMs,
        json(w.baseline),
        json(w.targets),
        json(w.previous),
      );
    return this.getWatch(w.runId) as WatchRecord;
  }

  getWatch(runId: string): WatchRecord | undefined {
    const r = this.store.db.prepare('SELECT * FROM monitor_watches WHERE run_id = ?').get(runId) as
      WatchRow | undefined;
    return r ? toWatch(r) : undefined;
  }

  listWatching(): WatchRecord[] {
    const rows = this.store.db
      .prepare("SELECT * FROM monitor_watches WHERE state = 'watching' ORDER BY started_at")
      .all() as WatchRow[];
    return rows.map(toWatch);
  }

  /**
   * Records slots `[watch.nextSlot, slot)` as gaps (`gapError`) and `slot` as `sample`, and moves
   * `nextSlot` past it, in one transaction; only if `nextSlot` is still what the caller read.
   */
  recordSlots(
    runId: string,
    expectedNextSlot: number,
    gaps: readonly { slot: number; dueAt: number; error: string }[],
    sample: Omit<SampleRecord, 'kind'> & { kind?: 'sample' | 'gap' },
    previous: unknown,
  ): boolean {
    return this.store.db.transaction(() => {
      const moved = this.store.db
        .prepare(
          `UPDATE monitor_watches SET next_slot = ?, previous_json = COALESCE(?, previous_json)
            WHERE run_id = ? AND next_slot = ? AND state = 'watching'`,
        )
        .run(sample.slot + 1, previous === undefined ? null : json(previous), runId, expectedNextSlot);
      if (moved.changes !== 1) return false;
      const insert = this.store.db.prepare(
        `INSERT INTO monitor_samples (run_id, slot, due_at, taken_at, kind, data_json, error, cost_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const g of gaps) insert.run(runId, g.slot, g.dueAt, null, 'gap', null, g.error, null);
      insert.run(
        runId,
        sample.slot,
        sample.dueAt,
        sample.takenAt,
        sample.kind ?? 'sample',
        sample.data === null || sample.data === undefined ? null : json(sample.data),
        sample.error,
        sample.costMs,
      );
      return true;
    })();
  }

  listSamples(runId: string): SampleRecord[] {
    const rows = this.store.db
      .prepare(
        `SELECT slot, due_at, taken_at, kind, data_json, error, cost_ms FROM monitor_samples
          WHERE run_id = ? ORDER BY slot`,
      )
      .all(runId) as {
      slot: number;
      due_at: number;
      taken_at: number | null;
      kind: 'sample' | 'gap';
      data_json: string | null;
      error: string | null;
      cost_ms: number | null;
    }[];
    return rows.map((r) => ({
      slot: r.slot,
      dueAt: r.due_at,
      takenAt: r.taken_at,
      kind: r.kind,
      data: parse(r.data_json),
      error: r.error,
      costMs: r.cost_ms,
    }));
  }

  /** Ends a watch; false when it had already ended. */
  endWatch(runId: string, at: number, reason: string): boolean {
    const r = this.store.db
      .prepare(
        `UPDATE monitor_watches SET state = 'ended', ended_at = ?, end_reason = ?
          WHERE run_id = ? AND state = 'watching'`,
      )
      .run(at, reason, runId);
    return r.changes === 1;
  }

  addAlert(runId: string, kind: string, at: number, message: string): void {
    this.store.db
      .prepare('INSERT INTO monitor_alerts (run_id, kind, at, message) VALUES (?, ?, ?, ?)')
      .run(runId, kind, at, message);
  }

  listAlerts(runId: string): AlertRecord[] {
    return this.store.db
      .prepare('SELECT kind, at, message FROM monitor_alerts WHERE run_id = ? ORDER BY id')
      .all(runId) as AlertRecord[];
  }
}
