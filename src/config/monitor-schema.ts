/**
 * `environments.<env>.monitor` (issue 13): the watch after a successful deploy — how long, how often,
 * the application's Prometheus series, and the thresholds of its alerts.
 */
import * as z from 'zod';

const nonEmpty = z.string().min(1, 'expected a non-empty string');
const positiveInt = z.number().int('expected a whole number').min(1, 'expected a number >= 1');

const regexText = nonEmpty.refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, 'expected a regular expression');

/** A Prometheus series: a sample (or histogram family) name and exact label values. */
const seriesSelectorSchema = z
  .object({ name: nonEmpty, labels: z.record(z.string(), z.string()).default({}) })
  .strict();

/** When a watch speaks up, against the baseline taken in preflight. */
const monitorThresholdsSchema = z
  .object({
    /** Error rate above the baseline by at least this many percentage points (0.5 = 0.5 %). */
    errorRatePoints: z.number().positive('expected a number > 0').default(1),
    /** p95 latency up by at least this many percent over the baseline. */
    p95IncreasePercent: z.number().positive('expected a number > 0').default(50),
    /** Sessions waiting on a lock at sampling time. */
    lockWaiters: positiveInt.default(3),
    /** Deadlocks since the previous sample. */
    deadlocks: positiveInt.default(1),
    /** Connections as a share of max_connections, in percent. */
    connectionsPercent: z.number().positive().max(100).default(80),
    /** Failed health checks in a row. */
    healthFailures: positiveInt.default(2),
  })
  .strict();

const MONITOR_THRESHOLD_DEFAULTS = {
  errorRatePoints: 1,
  p95IncreasePercent: 50,
  lockWaiters: 3,
  deadlocks: 1,
  connectionsPercent: 80,
  healthFailures: 2,
};

/** The watch after a successful deploy (core/monitor): what is sampled, how often, how long. */
export const monitorSchema = z
  .object({
    /** How long to watch (fractions allowed, e.g. 0.1 for a trial). */
    hours: z.number().positive('expected a number > 0').default(24),
    /** Minutes between samples (>= 1; fractions allowed). */
    everyMinutes: z.number().min(1, 'expected a number >= 1').default(5),
    /** The application's Prometheus endpoint; without it only the health check and PostgreSQL are sampled. */
    metricsUrl: z.url('expected a URL').optional(),
    metricsTimeoutMs: positiveInt.default(5000),
    /** The request counter. */
    requests: seriesSelectorSchema.default({ name: 'http_requests_total', labels: {} }),
    /** Which requests of that counter failed: a label and a pattern of its value. */
    errors: z
      .object({ label: nonEmpty.default('status'), pattern: regexText.default('^5\\d\\d$') })
      .strict()
      .default({ label: 'status', pattern: '^5\\d\\d$' }),
    /** The request latency histogram (family name, without `_bucket`). */
    latency: seriesSelectorSchema.default({ name: 'http_request_duration_seconds', labels: {} }),
    thresholds: monitorThresholdsSchema.default(MONITOR_THRESHOLD_DEFAULTS),
  })
  .strict()
  .refine((m) => m.everyMinutes <= m.hours * 60, {
    message: 'everyMinutes must not be longer than the watch (hours)',
  });
