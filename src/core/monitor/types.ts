/**
 * The vocabulary of the post-deploy watch: what one sample holds, the baseline it is compared with,
 * what the migrations touched, alerts, and the summary. Plain data (stored as JSON, sent in events).
 */

/** The health check as one sample saw it (a single request, no retries). */
export interface HealthReading {
  readonly ok: boolean;
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error?: string;
}

/** The application's traffic between two scrapes of its metrics endpoint. */
export interface HttpReading {
  readonly requests: number;
  readonly errors: number;
  /** Requests per second over the interval. */
  readonly requestRate: number | null;
  /** errors / requests, or null without requests. */
  readonly errorRate: number | null;
  /** Seconds. */
  readonly p95: number | null;
  readonly p99: number | null;
}

export interface TableReading {
  readonly name: string;
  readonly bytes: number;
  readonly seqScan: number;
  readonly idxScan: number;
}

export interface StatementReading {
  readonly query: string;
  readonly calls: number;
  readonly meanMs: number;
}

/** What PostgreSQL said in one sample (read-only catalog views). */
export interface DatabaseReading {
  /** Sessions of the target database by state (active, idle, idle in transaction, …). */
  readonly connections: Readonly<Record<string, number>>;
  /** Client sessions of the whole server, and their share of max_connections in percent. */
  readonly serverConnections: number;
  readonly maxConnections: number;
  readonly connectionsPercent: number;
  readonly idleInTransaction: number;
  readonly longestQuery: { readonly seconds: number; readonly query: string } | null;
  readonly lockWaiters: number;
  /** Since the previous sample (pg_stat_database). */
  readonly deadlocks: number;
  readonly rollbacks: number;
  readonly tempFiles: number;
  readonly tables: readonly TableReading[];
  /** idx_scan of each index the migrations created (cumulative, as the server counts). */
  readonly indexes: readonly { readonly name: string; readonly scans: number }[];
  /** Slowest statements by mean time, or null with `statementsNote` saying why not. */
  readonly statements: readonly StatementReading[] | null;
  readonly statementsNote?: string;
}

/** One sample. A part that could not be read carries its error instead. */
export interface SampleData {
  readonly health?: HealthReading;
  readonly http?: HttpReading;
  readonly db?: DatabaseReading;
  /** Parts that failed, e.g. `{ metrics: "…unreachable" }`. */
  readonly errors?: Readonly<Record<string, string>>;
}

/** Counters kept from one sample to the next (deltas survive a restart). */
export interface Counters {
  readonly atMs: number;
  /** The selected request and latency series of the last scrape, as `[name, labels, value]`. */
  readonly metrics?: readonly (readonly [string, Readonly<Record<string, string>>, number])[];
  readonly db?: { readonly deadlocks: number; readonly rollbacks: number; readonly tempFiles: number };
}

/** Before the deploy (preflight), plus the counters of the new indexes when the watch began. */
export interface Baseline {
  readonly at: number;
  readonly health?: HealthReading;
  /** Over the application's lifetime so far (cumulative counters at preflight). */
  readonly http?: HttpReading;
  readonly db?: DatabaseReading;
  readonly errors?: Readonly<Record<string, string>>;
  /** idx_scan of the new indexes when the watch began (their use is counted from there). */
  readonly indexScansAtStart?: Readonly<Record<string, number>>;
}

/** What the migrations touched and created (from their SQL). */
export interface WatchTargets {
  /** `schema.table`. */
  readonly tables: readonly string[];
  /** Index names (schema-qualified when the SQL named the schema). */
  readonly indexes: readonly string[];
}

export const ALERT_KINDS = [
  'error_rate',
  'latency_p95',
  'lock_waits',
  'deadlocks',
  'connections',
  'health',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  readonly kind: AlertKind;
  /** One plain sentence: what crossed which line, against the baseline. */
  readonly message: string;
}

/** One series of the summary. */
export interface MetricSummary {
  readonly key: string;
  readonly label: string;
  readonly unit: '%' | 'ms' | 'req/s' | 'count';
  readonly baseline: number | null;
  readonly samples: number;
  readonly min: number | null;
  readonly median: number | null;
  readonly p95: number | null;
  readonly max: number | null;
  readonly trend: 'rising' | 'falling' | 'flat' | 'unknown';
}

export interface IndexUse {
  readonly name: string;
  /** Scans since the watch began, or null when the index was never seen. */
  readonly scans: number | null;
}

/** The summary of a watch (or the state so far). */
export interface WatchSummary {
  readonly runId: string;
  readonly environment: string;
  readonly startedAt: number;
  readonly endsAt: number;
  readonly endedAt: number | null;
  readonly endReason: string | null;
  /** Slots so far, samples taken, gaps. */
  readonly slots: number;
  readonly samples: number;
  readonly gaps: number;
  readonly alerts: number;
  readonly metrics: readonly MetricSummary[];
  readonly indexes: readonly IndexUse[];
  readonly tables: readonly {
    readonly name: string;
    readonly bytesBefore: number | null;
    readonly bytesNow: number | null;
    readonly seqScans: number | null;
    readonly idxScans: number | null;
  }[];
  /** What sampling cost: median and max per sample, ms. */
  readonly cost: { readonly medianMs: number | null; readonly maxMs: number | null };
  readonly slowest: readonly StatementReading[] | null;
  readonly statementsNote?: string;
  /** The summary in plain words, most important first. */
  readonly sentences: readonly string[];
}

/** A line chart's input (integrations/chart.ts `renderLineChart`). */
export interface ChartInput {
  readonly title: string;
  readonly series: readonly {
    readonly name: string;
    readonly unit?: string;
    readonly points: readonly { readonly t: number; readonly v: number | null }[];
  }[];
  readonly markers: readonly { readonly t: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
}

/** A watch in one line of a message (history, the run message). */
export interface WatchBrief {
  readonly state: 'watching' | 'ended';
  readonly startedAt: number;
  readonly endsAt: number;
  readonly endedAt: number | null;
  readonly endReason: string | null;
  readonly samples: number;
  readonly gaps: number;
  readonly alerts: number;
}
