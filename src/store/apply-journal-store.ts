/**
 * The apply journal of each run (schema step 3): entries the engine writes before it sends work to
 * the database, kept so that start-up recovery can decide from evidence what a killed run left.
 * Entries are opaque JSON here (their vocabulary is the engine's); each append is its own
 * transaction, on disk before the engine goes on.
 */
import { redactDeep } from '../base/redact.js';
import type { Store } from './store.js';

export class ApplyJournalStore {
  constructor(private readonly store: Store) {}

  /** Appends one entry to a run's journal. */
  append(runId: string, entry: unknown): void {
    const db = this.store.db;
    db.transaction(() => {
      const row = db
        .prepare('SELECT coalesce(max(seq), 0) AS seq FROM apply_journal WHERE run_id = ?')
        .get(runId) as { seq: number };
      db.prepare('INSERT INTO apply_journal (run_id, seq, entry_json, at) VALUES (?, ?, ?, ?)').run(
        runId,
        row.seq + 1,
        JSON.stringify(redactDeep(entry)),
        this.store.clock.now(),
      );
    }).immediate();
  }

  /** A run's journal, in order (empty when it has none). */
  list(runId: string): unknown[] {
    const rows = this.store.db
      .prepare('SELECT entry_json FROM apply_journal WHERE run_id = ? ORDER BY seq')
      .all(runId) as { entry_json: string }[];
    return rows.map((r) => JSON.parse(r.entry_json) as unknown);
  }
}
