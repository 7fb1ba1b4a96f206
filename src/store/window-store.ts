/**
 * Maintenance windows and their reminders in the bot's store. A window is written with its reminders
 * in one transaction; a reminder is marked sent or skipped in the same transaction that queues its
 * message in the outbox (the caller wraps both in `atomically`), so a restart neither repeats nor
 * loses one. Cancelling compares and sets (`scheduled → cancelled`) and skips what is still due.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { redact, redactDeep } from '../base/redact.js';
import type { Store } from './store.js';

/** Where a window came from: `/migrate window schedule` (or the modal), or the configuration. */
export type StoredWindowSource = 'slack' | 'config';

/** One window as stored (times in ms since the epoch). */
export interface WindowRecord {
  readonly id: string;
  readonly environment: string;
  readonly title: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly source: StoredWindowSource;
  readonly createdBy: string;
  readonly state: 'scheduled' | 'cancelled';
  readonly createdAt: number;
  /** Set for windows materialized from the configuration's recurrence. */
  readonly configKey: string | null;
  /** Where its reminder thread is in Slack, once its first reminder was posted. */
  readonly thread: { readonly channel: string; readonly ts: string } | null;
  /** What the last reminder's plan check found (see core/windows/plan-check.ts). */
  readonly lastCheck: unknown;
  readonly cancelledBy: string | null;
  readonly cancelledAt: number | null;
}

/** One reminder of a window. */
export interface ReminderRecord {
  readonly windowId: string;
  /** `before:<hours>`, `start` or `end`. */
  readonly kind: string;
  readonly dueAt: number;
  readonly state: 'due' | 'sent' | 'skipped';
  readonly doneAt: number | null;
  readonly late: boolean;
  readonly note: string | null;
}

interface WindowRow {
  id: string;
  environment: string;
  title: string;
  starts_at: number;
  ends_at: number;
  source: StoredWindowSource;
  created_by: string;
  state: 'scheduled' | 'cancelled';
  created_at: number;
  config_key: string | null;
  thread_channel: string | null;
  thread_ts: string | null;
  last_check_json: string | null;
  cancelled_by: string | null;
  cancelled_at: number | null;
}

interface ReminderRow {
  window_id: string;
  kind: string;
  due_at: number;
  state: 'due' | 'sent' | 'skipped';
  done_at: number | null;
  late: number;
  note: string | null;
}

function toWindow(r: WindowRow): WindowRecord {
  return {
    id: r.id,
    environment: r.environment,
    title: r.title,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    source: r.source,
    createdBy: r.created_by,
    state: r.state,
    createdAt: r.created_at,
    configKey: r.config_key,
    thread: r.thread_channel && r.thread_ts ? { channel: r.thread_channel, ts: r.thread_ts } : null,
    lastCheck: r.last_check_json === null ? null : (JSON.parse(r.last_check_json) as unknown),
    cancelledBy: r.cancelled_by,
    cancelledAt: r.cancelled_at,
  };
}

function toReminder(r: ReminderRow): ReminderRecord {
  return {
    windowId: r.window_id,
    kind: r.kind,
    dueAt: r.due_at,
    state: r.state,
    doneAt: r.done_at,
    late: r.late === 1,
    note: r.note,
  };
}

/** A new window and the reminders it gets. */
export interface NewWindow {
  readonly environment: string;
  readonly title: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly source: StoredWindowSource;
  readonly createdBy: string;
  readonly configKey?: string;
  readonly reminders: readonly { readonly kind: string; readonly dueAt: number }[];
}

export class WindowStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock = store.clock,
  ) {}

  /** Runs `fn` in one IMMEDIATE transaction. */
  atomically<T>(fn: () => T): T {
    return this.store.db.transaction(fn).immediate();
  }

  /**
   * Stores a window with its reminders and audits it (`window:scheduled`). A configuration window
   * whose `configKey` is already stored is left alone: returns undefined.
   */
  insert(w: NewWindow, check?: (existing: WindowRecord[]) => void): WindowRecord | undefined {
    return this.atomically(() => {
      if (w.configKey) {
        const found = this.store.db.prepare('SELECT id FROM windows WHERE config_key = ?').get(w.configKey);
        if (found) return undefined;
      }
      // The caller's rule check sees the windows as they are inside this transaction (no race).
      check?.(this.listScheduled(w.environment, this.clock.now()));
      const id = this.freshId();
      const now = this.clock.now();
      this.store.db
        .prepare(
          `INSERT INTO windows (id, environment, title, starts_at, ends_at, created_by, state, created_at, source, config_key)
           VALUES (?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?)`,
        )
        .run(
          id,
          w.environment,
          redact(w.title),
          w.startsAt,
          w.endsAt,
          w.createdBy,
          now,
          w.source,
          w.configKey ?? null,
        );
      const add = this.store.db.prepare(
        'INSERT INTO window_reminders (window_id, kind, due_at) VALUES (?, ?, ?)',
      );
      for (const r of w.reminders) add.run(id, r.kind, r.dueAt);
      this.store.audit({
        actor: w.createdBy,
        action: 'window:scheduled',
        environment: w.environment,
        detail: {
          windowId: id,
          title: w.title,
          startsAt: new Date(w.startsAt).toISOString(),
          endsAt: new Date(w.endsAt).toISOString(),
          source: w.source,
          reminders: w.reminders.map((r) => r.kind),
        },
      });
      return this.get(id);
    });
  }

  get(id: string): WindowRecord | undefined {
    const row = this.store.db.prepare('SELECT * FROM windows WHERE id = ?').get(id) as WindowRow | undefined;
    return row ? toWindow(row) : undefined;
  }

  /** Scheduled windows (of one environment, or all) that have not ended at `at`, soonest first. */
  listScheduled(environment: string | undefined, at: number): WindowRecord[] {
    const rows = (
      environment
        ? this.store.db
            .prepare(
              "SELECT * FROM windows WHERE state = 'scheduled' AND environment = ? AND ends_at > ? ORDER BY starts_at, id",
            )
            .all(environment, at)
        : this.store.db
            .prepare("SELECT * FROM windows WHERE state = 'scheduled' AND ends_at > ? ORDER BY starts_at, id")
            .all(at)
    ) as WindowRow[];
    return rows.map(toWindow);
  }

  /** Configuration windows of an environment that start after `at` (to cancel ones the config dropped). */
  listConfigWindowsAfter(environment: string, at: number): WindowRecord[] {
    const rows = this.store.db
      .prepare(
        "SELECT * FROM windows WHERE state = 'scheduled' AND source = 'config' AND environment = ? AND starts_at > ? ORDER BY starts_at",
      )
      .all(environment, at) as WindowRow[];
    return rows.map(toWindow);
  }

  /**
   * Cancels a scheduled window (compare and set) and skips its reminders still due; audited as
   * `window:cancelled`. Returns the window after, or undefined when it was not scheduled.
   */
  cancel(id: string, actor: string, reason: string): WindowRecord | undefined {
    return this.atomically(() => {
      const now = this.clock.now();
      const res = this.store.db
        .prepare(
          "UPDATE windows SET state = 'cancelled', cancelled_by = ?, cancelled_at = ? WHERE id = ? AND state = 'scheduled'",
        )
        .run(actor, now, id);
      if (res.changes !== 1) return undefined;
      this.store.db
        .prepare(
          "UPDATE window_reminders SET state = 'skipped', done_at = ?, note = ? WHERE window_id = ? AND state = 'due'",
        )
        .run(now, 'the window was cancelled', id);
      const w = this.get(id);
      this.store.audit({
        actor,
        action: 'window:cancelled',
        ...(w ? { environment: w.environment } : {}),
        detail: { windowId: id, reason },
      });
      return w;
    });
  }

  /** Reminders due at `at` and not yet sent or skipped, oldest first. */
  dueReminders(at: number): ReminderRecord[] {
    const rows = this.store.db
      .prepare(
        "SELECT * FROM window_reminders WHERE state = 'due' AND due_at <= ? ORDER BY due_at, window_id",
      )
      .all(at) as ReminderRow[];
    return rows.map(toReminder);
  }

  remindersOf(windowId: string): ReminderRecord[] {
    const rows = this.store.db
      .prepare('SELECT * FROM window_reminders WHERE window_id = ? ORDER BY due_at')
      .all(windowId) as ReminderRow[];
    return rows.map(toReminder);
  }

  /**
   * Marks a due reminder sent or skipped (compare and set on `due`). Call inside `atomically`
   * together with the outbox enqueue of its message. Returns false when it was no longer due.
   */
  finishReminder(
    windowId: string,
    kind: string,
    outcome: { state: 'sent' | 'skipped'; late: boolean; note?: string },
  ): boolean {
    const res = this.store.db
      .prepare(
        "UPDATE window_reminders SET state = ?, done_at = ?, late = ?, note = ? WHERE window_id = ? AND kind = ? AND state = 'due'",
      )
      .run(
        outcome.state,
        this.clock.now(),
        outcome.late ? 1 : 0,
        outcome.note === undefined ? null : redact(outcome.note),
        windowId,
        kind,
      );
    return res.changes === 1;
  }

  /** Records what a reminder's plan check found, for the next one to compare with. */
  setLastCheck(windowId: string, check: unknown): void {
    this.store.db
      .prepare('UPDATE windows SET last_check_json = ? WHERE id = ?')
      .run(JSON.stringify(redactDeep(check)), windowId);
  }

  /** Records where the window's reminder thread is (the first reminder's message). */
  setThread(windowId: string, channel: string, ts: string): void {
    this.store.db
      .prepare('UPDATE windows SET thread_channel = ?, thread_ts = ? WHERE id = ? AND thread_ts IS NULL')
      .run(channel, ts, windowId);
  }

  /** Appends an audit line about a window. */
  audit(actor: string, action: string, environment: string, detail: unknown): void {
    this.store.audit({ actor, action, environment, detail });
  }

  private freshId(): string {
    for (;;) {
      const id = randomBytes(4).toString('hex');
      if (!this.store.db.prepare('SELECT 1 FROM windows WHERE id = ?').get(id)) return id;
    }
  }
}
