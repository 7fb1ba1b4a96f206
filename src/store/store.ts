/**
 * The bot's own state in SQLite (better-sqlite3) under DRAWBRIDGE_DATA_DIR, WAL mode, with its own
 * schema versions. Everything written here is redacted first: the store never holds a secret.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import { redact, redactDeep } from '../base/redact.js';
import { schemaSteps } from './schema.js';

/** One line of the append-only audit log. */
export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  environment: string | null;
  runId: string | null;
  detail: unknown;
}

export class Store {
  readonly db: Database.Database;
  readonly clock: Clock;

  private constructor(db: Database.Database, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Opens (creating if needed) `<dataDir>/drawbridge.sqlite` and brings its schema up to date. */
  static open(dataDir: string, clock: Clock): Store {
    mkdirSync(dataDir, { recursive: true });
    return Store.openFile(join(dataDir, 'drawbridge.sqlite'), clock);
  }

  static openFile(path: string, clock: Clock): Store {
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw new DrawbridgeError(
        'STORE_OPEN_FAILED',
        `Cannot open the state database ${path}: ${(err as Error).message}`,
        {
          hint: 'Check that DRAWBRIDGE_DATA_DIR exists and is writable by the bot.',
          cause: err,
        },
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const store = new Store(db, clock);
    store.migrate();
    return store;
  }

  /** The schema step reached (PRAGMA user_version). */
  schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  private migrate(): void {
    const current = this.schemaVersion();
    if (current > schemaSteps.length) {
      throw new DrawbridgeError(
        'STORE_TOO_NEW',
        `The state database has schema version ${current}, newer than this Drawbridge knows (${schemaSteps.length})`,
        { hint: 'Run the newer Drawbridge release, or restore the data directory from before the upgrade.' },
      );
    }
    for (let step = current; step < schemaSteps.length; step++) {
      this.db.transaction(() => {
        this.db.exec(schemaSteps[step] as string);
        this.db.pragma(`user_version = ${step + 1}`);
      })();
    }
  }

  /** Appends one audit line (redacted). Returns its id. */
  audit(entry: {
    actor: string;
    action: string;
    environment?: string;
    runId?: string;
    detail?: unknown;
  }): number {
    const res = this.db
      .prepare('INSERT INTO audit (at, actor, action, environment, run_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        this.clock.now(),
        redact(entry.actor),
        redact(entry.action),
        entry.environment ?? null,
        entry.runId ?? null,
        entry.detail === undefined ? null : JSON.stringify(redactDeep(entry.detail)),
      );
    return Number(res.lastInsertRowid);
  }

  /** Audit lines, oldest first, optionally for one run or environment. */
  auditLog(filter: { runId?: string; environment?: string; limit?: number } = {}): AuditEntry[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.runId) {
      where.push('run_id = ?');
      params.push(filter.runId);
    }
    if (filter.environment) {
      where.push('environment = ?');
      params.push(filter.environment);
    }
    const sql = `SELECT id, at, actor, action, environment, run_id, detail FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, filter.limit ?? 10_000) as {
      id: number;
      at: number;
      actor: string;
      action: string;
      environment: string | null;
      run_id: string | null;
      detail: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      environment: r.environment,
      runId: r.run_id,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
