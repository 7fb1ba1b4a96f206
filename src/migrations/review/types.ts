/**
 * The data model of the SQL review: findings, per-migration results, the report for many migrations,
 * and the impact estimate read from the target database. Everything here is plain data so that the
 * CLI (`--json`), Slack renderers and the audit log can use it unchanged.
 */

/** error = blocks reads/writes for time proportional to size, loses data or fails; warning = brief strong lock or breaks clients; info = hygiene. */
export type Severity = 'error' | 'warning' | 'info';

/** Rule families, as in review-rules.md. */
export type Category =
  | 'destructive'
  | 'data-loss-risk'
  | 'blocking-lock'
  | 'table-rewrite'
  | 'backward-incompatible'
  | 'transaction-unsafe'
  | 'other';

/** One problem found in one statement of one migration. */
export interface Finding {
  /** Stable public id, e.g. `create-index-non-concurrent` (see review-rules.md 5.1). */
  ruleId: string;
  severity: Severity;
  category: Category;
  /** What happens: names the lock, what it blocks, and the table. */
  message: string;
  /** One imperative sentence with the safe alternative. */
  help: string;
  /** Migration name (directory name or file name). */
  migration: string;
  /** The statement's SQL text, trimmed (empty for findings about the whole file). */
  statement: string;
  /** 1-based line and column of the statement's first character in the migration file. */
  line: number;
  column: number;
  /** The table the finding is about, as written (`schema.table` or `table`), when there is one. */
  table?: string;
}

/** A finding silenced by `-- drawbridge-ignore <rule-id> <reason>`; kept for the record. */
export interface SuppressedFinding extends Finding {
  /** The reason written in the ignore comment (may be empty). */
  reason: string;
}

/** The review of one migration file. */
export interface ReviewResult {
  migration: string;
  /** Active findings, in statement order. */
  findings: Finding[];
  /** Findings silenced by ignore comments, with their reasons. */
  suppressed: SuppressedFinding[];
  /** Number of statements the parser found (0 when the file does not parse). */
  statementCount: number;
  /** False when the parser rejected the file (then there is a `parse-error` finding). */
  parsed: boolean;
}

/** How a statement affects a table it touches. */
export type TableEffect = 'rewrite' | 'scan' | 'index-build' | 'write-all' | 'metadata';

/** PostgreSQL table-level lock modes, weakest to strongest. */
export type LockMode =
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE';

/** A session that holds a lock on a table that conflicts with what a migration statement needs. */
export interface BlockingTransaction {
  pid: number;
  /** Seconds since the blocking transaction began (or the backend started, if not in a transaction). */
  ageSeconds: number;
  /** pg_stat_activity state, e.g. `idle in transaction`. */
  state: string;
  /** The lock mode that session holds on the table. */
  mode: string;
  /** Its current or last query (truncated to 200 characters). */
  query: string;
}

/** One statement of a migration that touches a pre-existing table. */
export interface StatementTouch {
  line: number;
  /** First line of the statement, at most 120 characters. */
  statement: string;
  lock: LockMode;
  effect: TableEffect;
}

/** What the database says about one table a migration touches. */
export interface TableImpact {
  /** `schema.table`. */
  table: string;
  /** False when the table does not exist in the target yet (created by an earlier pending migration). */
  exists: boolean;
  /** Estimated row count; null when unknown. */
  rows: number | null;
  /** Where `rows` came from: planner statistics, an exact bounded count, or nowhere. */
  rowsSource: 'statistics' | 'count' | 'unknown';
  /** pg_total_relation_size (table, indexes, TOAST) in bytes; 0 when the table does not exist. */
  totalBytes: number;
  touches: StatementTouch[];
  /** Sessions holding a conflicting lock on the table right now. */
  blockers: BlockingTransaction[];
}

/** quick: under a second; slow: seconds to minutes, proportional to size; long: beyond that. */
export type ImpactClass = 'quick' | 'slow' | 'long';

/** The impact estimate of one migration. */
export interface MigrationImpact {
  migration: string;
  class: ImpactClass;
  /** Rough duration of the table-size-bound work, in seconds. */
  estimatedSeconds: number;
  /** Why this class, one sentence per line, readable by people. */
  reasoning: string[];
  tables: TableImpact[];
}

/** The impact part of a report: present when a database was given and reachable. */
export type ImpactEstimate =
  { available: true; migrations: MigrationImpact[] } | { available: false; reason: string };

/** The review of a set of migrations, plus the impact estimate when a database was given. */
export interface ReviewReport {
  results: ReviewResult[];
  impact: ImpactEstimate;
  /** Counts of active (unsuppressed) findings per severity, and of suppressed ones. */
  summary: { error: number; warning: number; info: number; suppressed: number };
}
