/**
 * The outbox: everything that leaves the bot (Slack posts, updates, DMs, uploads, Statuspage calls,
 * webhooks) is written here before anyone tries to send it, and the outbox worker
 * (core/outbox/outbox-worker.ts) delivers it.
 *
 * - **Lanes.** Every item names a `destination` (a Slack channel or thread, a Statuspage page, a
 *   webhook URL). Items of one destination are delivered strictly in the order they were queued:
 *   {@link OutboxStore.due} offers only the oldest pending item of each lane (head of line), so a
 *   later item never overtakes an earlier one that is waiting for its retry. A given-up item leaves
 *   the lane, so one undeliverable message does not block the ones behind it for ever.
 * - **Dedupe.** The `dedupe_key` is unique: queueing the same key again returns the existing item and
 *   queues nothing, so a retried step or a replayed event cannot send a message twice.
 * - **Coalescing.** Items with a `coalesce_key` replace the older pending items with the same key in
 *   the same lane (those are marked sent with the result `{"superseded":true}`), so a run message
 *   that changed five times while Slack was down is updated once, to its newest state.
 * - **Attempts.** {@link OutboxStore.markAttempt} counts an attempt before it starts, so after a
 *   crash an item whose attempt never finished shows `attempts > 0`: its deliverer knows the
 *   destination may already have it and can ask before sending again (at most once more).
 *
 * Payloads, errors and results are redacted before they are stored. Rows queued by the older
 * `Store.enqueue` have no destination and are ignored here.
 */
import { redact, redactDeep } from '../base/redact.js';
import type { Store } from './store.js';

/** What a producer hands to {@link OutboxStore.enqueue}. */
export interface NewOutboxItem {
  /** The ordering lane, e.g. `slack:C0123:1767225600.123456` for a run's thread. */
  destination: string;
  /** `<deliverer>.<operation>`, e.g. `slack.post`; the part before the first '.' picks the deliverer. */
  kind: string;
  /** JSON-serialisable data the deliverer needs (redacted before it is stored). */
  payload: unknown;
  /** Unique for the whole outbox: the same key is never queued twice. */
  dedupeKey: string;
  /** When set, older pending items of the same lane with this key are superseded by this one. */
  coalesceKey?: string;
}

/** A pending item as the worker and the deliverers see it. */
export interface OutboxMessage {
  id: number;
  destination: string;
  kind: string;
  payload: unknown;
  dedupeKey: string;
  coalesceKey?: string;
  /**
   * Attempts started before this one. More than 0 means an earlier attempt may have reached the
   * destination even though it was not recorded as sent (its answer was lost, or the process died).
   */
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastError?: string;
}

/** An item with its delivery outcome, as {@link OutboxStore.get} and {@link OutboxStore.gaveUp} return it. */
export interface OutboxRecord extends OutboxMessage {
  /** When it was sent, or superseded by a newer item. */
  sentAt?: number;
  /** When delivery was abandoned (error in `lastError`). */
  gaveUpAt?: number;
  /** The delivery result (e.g. `{ ts }` of a Slack post), or `{ superseded: true }`. */
  result?: unknown;
}

/** One lane with pending items. */
export interface OutboxLane {
  destination: string;
  count: number;
  oldestCreatedAt: number;
}

interface OutboxRow {
  id: number;
  destination: string | null;
  kind: string;
  payload: string;
  dedupe_key: string | null;
  coalesce_key: string | null;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  last_error: string | null;
  sent_at: number | null;
  gave_up_at: number | null;
  result: string | null;
}

const COLUMNS = `id, destination, kind, payload, dedupe_key, coalesce_key, attempts, created_at, next_attempt_at,
  last_error, sent_at, gave_up_at, result`;
const PENDING = 'sent_at IS NULL AND gave_up_at IS NULL';
/** The oldest pending item of each lane. */
const HEADS = `SELECT destination, MIN(id) AS id FROM outbox
  WHERE ${PENDING} AND destination IS NOT NULL GROUP BY destination`;

function toMessage(r: OutboxRow): OutboxMessage {
  const m: OutboxMessage = {
    id: r.id,
    destination: r.destination ?? '',
    kind: r.kind,
    payload: JSON.parse(r.payload) as unknown,
    dedupeKey: r.dedupe_key ?? '',
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
  };
  if (r.coalesce_key !== null) m.coalesceKey = r.coalesce_key;
  if (r.last_error !== null) m.lastError = r.last_error;
  return m;
}

function toRecord(r: OutboxRow): OutboxRecord {
  const rec: OutboxRecord = toMessage(r);
  if (r.sent_at !== null) rec.sentAt = r.sent_at;
  if (r.gave_up_at !== null) rec.gaveUpAt = r.gave_up_at;
  if (r.result !== null) rec.result = JSON.parse(r.result) as unknown;
  return rec;
}

/** Repository for the outbox table (see the file comment for its semantics). */
export class OutboxStore {
  constructor(private readonly store: Store) {}

  /**
   * Queues an item in one IMMEDIATE transaction. A dedupe key already in the outbox (pending, sent or
   * given up) returns that item's id with `duplicate: true` and changes nothing. With a coalesce key,
   * older pending items of the same lane and key are marked superseded.
   */
  enqueue(item: NewOutboxItem): { id: number; duplicate: boolean } {
    const db = this.store.db;
    return db
      .transaction(() => {
        const existing = db.prepare('SELECT id FROM outbox WHERE dedupe_key = ?').get(item.dedupeKey) as
          { id: number } | undefined;
        if (existing) return { id: existing.id, duplicate: true };
        const now = this.store.clock.now();
        const id = Number(
          db
            .prepare(
              `INSERT INTO outbox (destination, kind, payload, dedupe_key, coalesce_key, created_at, next_attempt_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              item.destination,
              item.kind,
              JSON.stringify(redactDeep(item.payload) ?? null),
              item.dedupeKey,
              item.coalesceKey ?? null,
              now,
              now,
            ).lastInsertRowid,
        );
        if (item.coalesceKey !== undefined) {
          db.prepare(
            `UPDATE outbox SET sent_at = ?, result = '{"superseded":true}'
             WHERE ${PENDING} AND coalesce_key = ? AND destination = ? AND id < ?`,
          ).run(now, item.coalesceKey, item.destination, id);
        }
        return { id, duplicate: false };
      })
      .immediate();
  }

  /**
   * For each lane, its oldest pending item if that item is due (`next_attempt_at <= now`); a lane
   * whose head waits for a retry offers nothing. Earliest due first, at most `limit` items.
   */
  due(now: number, limit: number): OutboxMessage[] {
    const rows = this.store.db
      .prepare(
        `SELECT ${COLUMNS} FROM outbox WHERE id IN (SELECT id FROM (${HEADS})) AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`,
      )
      .all(now, limit) as OutboxRow[];
    return rows.map(toMessage);
  }

  /** When the earliest lane head (outside `exceptLanes`) becomes due; undefined when nothing is pending. */
  nextDueAt(exceptLanes: readonly string[] = []): number | undefined {
    const placeholders = exceptLanes.map(() => '?').join(', ');
    const row = this.store.db
      .prepare(
        `SELECT MIN(o.next_attempt_at) AS at FROM outbox o JOIN (${HEADS}) h ON h.id = o.id
         ${exceptLanes.length > 0 ? `WHERE h.destination NOT IN (${placeholders})` : ''}`,
      )
      .get(...exceptLanes) as { at: number | null };
    return row.at ?? undefined;
  }

  /**
   * Counts an attempt before it starts. Returns the number of attempts now recorded, or undefined when
   * the item is no longer pending (sent, superseded or given up since it was read): then skip it.
   */
  markAttempt(id: number): number | undefined {
    const row = this.store.db
      .prepare(`UPDATE outbox SET attempts = attempts + 1 WHERE id = ? AND ${PENDING} RETURNING attempts`)
      .get(id) as { attempts: number } | undefined;
    return row?.attempts;
  }

  /** Records a delivery and its result. False when the item had been given up. */
  markSent(id: number, result?: unknown): boolean {
    const res = this.store.db
      .prepare('UPDATE outbox SET sent_at = ?, result = ? WHERE id = ? AND gave_up_at IS NULL')
      .run(this.store.clock.now(), result === undefined ? null : JSON.stringify(redactDeep(result)), id);
    return res.changes > 0;
  }

  /** Records a failed attempt and when to try again. False when the item is no longer pending. */
  markRetry(id: number, error: string, nextAttemptAt: number): boolean {
    const res = this.store.db
      .prepare(`UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ? AND ${PENDING}`)
      .run(redact(error), nextAttemptAt, id);
    return res.changes > 0;
  }

  /**
   * Abandons an item: it leaves its lane (the items behind it become deliverable) and appears in
   * {@link gaveUp}. False when it was no longer pending (e.g. superseded meanwhile).
   */
  markGaveUp(id: number, error: string): boolean {
    const res = this.store.db
      .prepare(`UPDATE outbox SET gave_up_at = ?, last_error = ? WHERE id = ? AND ${PENDING}`)
      .run(this.store.clock.now(), redact(error), id);
    return res.changes > 0;
  }

  get(id: number): OutboxRecord | undefined {
    const row = this.store.db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`).get(id) as
      OutboxRow | undefined;
    return row && toRecord(row);
  }

  getByDedupeKey(dedupeKey: string): OutboxRecord | undefined {
    const row = this.store.db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE dedupe_key = ?`).get(dedupeKey) as
      OutboxRow | undefined;
    return row && toRecord(row);
  }

  /** Lanes with pending items: how many and since when (oldest lane first). */
  pending(): OutboxLane[] {
    return this.store.db
      .prepare(
        `SELECT destination, COUNT(*) AS count, MIN(created_at) AS oldestCreatedAt FROM outbox
         WHERE ${PENDING} AND destination IS NOT NULL GROUP BY destination ORDER BY oldestCreatedAt, destination`,
      )
      .all() as OutboxLane[];
  }

  /** Items given up at or after `sinceMs` (all when omitted), oldest first. */
  gaveUp(sinceMs = 0): OutboxRecord[] {
    const rows = this.store.db
      .prepare(`SELECT ${COLUMNS} FROM outbox WHERE gave_up_at >= ? ORDER BY gave_up_at, id`)
      .all(sinceMs) as OutboxRow[];
    return rows.map(toRecord);
  }
}
