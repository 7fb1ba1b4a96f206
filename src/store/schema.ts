/**
 * The bot's own SQLite schema, applied in numbered steps. `PRAGMA user_version` records the step
 * reached; each step runs in one transaction. Add a step; never edit a released one.
 */
export const schemaSteps: readonly string[] = [
  // 1: runs, steps, approvals, append-only audit, windows, outbox, environment locks
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reason TEXT,
    plan_json TEXT,
    plan_hash TEXT,
    channel TEXT,
    message_ts TEXT,
    outcome TEXT,
    backup_json TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
  );
  CREATE INDEX runs_env_created ON runs(environment, created_at DESC);
  CREATE INDEX runs_state ON runs(state);

  CREATE TABLE run_steps (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    detail TEXT,
    error TEXT,
    PRIMARY KEY (run_id, seq)
  );

  CREATE TABLE approvals (
    run_id TEXT NOT NULL REFERENCES runs(id),
    user_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    plan_hash TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (run_id, user_id)
  );

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    environment TEXT,
    run_id TEXT,
    detail TEXT
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

  CREATE TABLE windows (
    id TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    state TEXT NOT NULL,
    statuspage_incident_id TEXT,
    reminders_sent TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
  );

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at INTEGER,
    last_error TEXT
  );
  CREATE INDEX outbox_due ON outbox(sent_at, next_attempt_at);

  CREATE TABLE environment_locks (
    environment TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    acquired_at INTEGER NOT NULL
  );
  `,
  // 2: the plan report a run was requested with (review, impact, preflight), for re-rendering its message
  `ALTER TABLE runs ADD COLUMN report_json TEXT;`,
  // 3: the apply journal: what the engine was about to send (migration, statement, transaction id),
  // written before it is sent, so that after a crash the outcome is decided from evidence
  `CREATE TABLE apply_journal (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    entry_json TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
  );`,
  // 4: the outbox as a delivery queue: one ordering lane per destination, a dedupe key so nothing is
  // queued twice, a coalesce key so only the newest of a series is sent, give-up time and the result
  `ALTER TABLE outbox ADD COLUMN destination TEXT;
  ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
  ALTER TABLE outbox ADD COLUMN coalesce_key TEXT;
  ALTER TABLE outbox ADD COLUMN gave_up_at INTEGER;
  ALTER TABLE outbox ADD COLUMN result TEXT;
  CREATE UNIQUE INDEX outbox_dedupe_key ON outbox(dedupe_key);
  CREATE INDEX outbox_pending_lane ON outbox(destination, id) WHERE sent_at IS NULL AND gave_up_at IS NULL;
  CREATE INDEX outbox_pending_coalesce ON outbox(coalesce_key, destination)
    WHERE sent_at IS NULL AND gave_up_at IS NULL AND coalesce_key IS NOT NULL;
  CREATE INDEX outbox_gave_up ON outbox(gave_up_at) WHERE gave_up_at IS NOT NULL;`,
  // 5: a run whose changes a later restore of an older backup undid: which restore, by whom, when
  `ALTER TABLE runs ADD COLUMN reverted_json TEXT;`,
  // 6: maintenance windows as scheduled in Slack or materialized from the configuration's recurrence,
  // their reminders (persisted with their due times, so a restart neither repeats nor loses one), the
  // plan checks each reminder made (to say what changed), and runs waiting for a window
  `ALTER TABLE windows ADD COLUMN source TEXT NOT NULL DEFAULT 'slack';
  ALTER TABLE windows ADD COLUMN config_key TEXT;
  ALTER TABLE windows ADD COLUMN thread_channel TEXT;
  ALTER TABLE windows ADD COLUMN thread_ts TEXT;
  ALTER TABLE windows ADD COLUMN last_check_json TEXT;
  ALTER TABLE windows ADD COLUMN cancelled_by TEXT;
  ALTER TABLE windows ADD COLUMN cancelled_at INTEGER;
  CREATE UNIQUE INDEX windows_config_key ON windows(config_key) WHERE config_key IS NOT NULL;
  CREATE INDEX windows_env_start ON windows(environment, starts_at);
  CREATE TABLE window_reminders (
    window_id TEXT NOT NULL REFERENCES windows(id),
    kind TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'sent', 'skipped')),
    done_at INTEGER,
    late INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    PRIMARY KEY (window_id, kind)
  );
  CREATE INDEX window_reminders_due ON window_reminders(due_at) WHERE state = 'due';
  ALTER TABLE runs ADD COLUMN window_id TEXT;`,
  // 7: the post-deploy watch of a run (core/monitor): its schedule, baseline, what the migrations
  // created, the previous counters; one row per sampling slot (a sample or a gap); the alerts raised
  `CREATE TABLE monitor_watches (
    run_id TEXT PRIMARY KEY REFERENCES runs(id),
    environment TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    every_ms INTEGER NOT NULL,
    baseline_json TEXT,
    targets_json TEXT NOT NULL,
    previous_json TEXT,
    next_slot INTEGER NOT NULL DEFAULT 0,
    ended_at INTEGER,
    end_reason TEXT
  );
  CREATE INDEX monitor_watches_state ON monitor_watches(state);
  CREATE TABLE monitor_samples (
    run_id TEXT NOT NULL REFERENCES runs(id),
    slot INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    taken_at INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'gap')),
    data_json TEXT,
    error TEXT,
    cost_ms INTEGER,
    PRIMARY KEY (run_id, slot)
  );
  CREATE TABLE monitor_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(id),
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX monitor_alerts_run ON monitor_alerts(run_id, kind, at);`,
  // 8: rehearsals of a plan on the environment's shadow database (core/rehearsal), keyed by plan hash
  // (and the run that asked, when one did): state, where the copy came from, per-migration results
  `CREATE TABLE rehearsals (
    id TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    run_id TEXT,
    state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled', 'error')),
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    result_json TEXT
  );
  CREATE INDEX rehearsals_plan ON rehearsals(environment, plan_hash, started_at DESC);
  CREATE INDEX rehearsals_run ON rehearsals(run_id, started_at DESC);`,
];
