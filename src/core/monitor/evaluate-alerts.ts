/**
 * Whether a sample should make the watch speak up: each kind against its threshold (config
 * `monitor.thresholds`) and the baseline taken in preflight, at most once per kind per hour. Pure.
 */
import type { MonitorConfig } from '../../config/file-schema.js';
import type { Alert, AlertKind, Baseline, SampleData } from './types.js';

/** One alert of a kind per this long. */
export const ALERT_QUIET_MS = 3_600_000;

export interface AlertInput {
  readonly sample: SampleData;
  readonly baseline: Baseline | null;
  readonly thresholds: MonitorConfig['thresholds'];
  /** Earlier samples of the watch, oldest first (gaps as null): consecutive health failures. */
  readonly earlier: readonly (SampleData | null)[];
  /** When each kind last alerted. */
  readonly lastAlertAt: Readonly<Partial<Record<AlertKind, number>>>;
  readonly now: number;
}

export const pct = (fraction: number): string => `${(fraction * 100).toFixed(fraction < 0.1 ? 2 : 1)} %`;
export const ms = (seconds: number): string => `${Math.round(seconds * 1000)} ms`;

/** The alerts a sample raises, in ALERT_KINDS order. */
export function evaluateAlerts(input: AlertInput): Alert[] {
  const { sample, baseline, thresholds: t } = input;
  const found: Alert[] = [];
  const add = (kind: AlertKind, message: string): void => {
    const last = input.lastAlertAt[kind];
    if (last !== undefined && input.now - last < ALERT_QUIET_MS) return;
    found.push({ kind, message });
  };
  const http = sample.http;
  const baseRate = baseline?.http?.errorRate ?? 0;
  if (http?.errorRate != null && (http.errorRate - baseRate) * 100 >= t.errorRatePoints)
    add(
      'error_rate',
      `Error rate is ${pct(http.errorRate)} (${http.errors} of ${http.requests} requests since the last sample); the baseline was ${pct(baseRate)}.`,
    );
  const baseP95 = baseline?.http?.p95;
  if (
    http?.p95 != null &&
    baseP95 != null &&
    baseP95 > 0 &&
    http.p95 >= baseP95 * (1 + t.p95IncreasePercent / 100)
  )
    add(
      'latency_p95',
      `p95 latency is ${ms(http.p95)}, up ${Math.round((http.p95 / baseP95 - 1) * 100)} % from the baseline ${ms(baseP95)}.`,
    );
  const db = sample.db;
  if (db && db.lockWaiters >= t.lockWaiters)
    add(
      'lock_waits',
      `${db.lockWaiters} session(s) are waiting on a lock (baseline ${baseline?.db?.lockWaiters ?? 0}).`,
    );
  if (db && db.deadlocks >= t.deadlocks)
    add(
      'deadlocks',
      `${db.deadlocks} deadlock(s) since the last sample; PostgreSQL cancelled a transaction to break each.`,
    );
  if (db && db.connectionsPercent >= t.connectionsPercent)
    add(
      'connections',
      `${db.serverConnections} of ${db.maxConnections} connections are in use (${Math.round(db.connectionsPercent)} %); the baseline was ${Math.round(baseline?.db?.connectionsPercent ?? 0)} %.`,
    );
  if (sample.health && !sample.health.ok) {
    let failures = 1;
    for (let i = input.earlier.length - 1; i >= 0; i--) {
      const h = input.earlier[i]?.health;
      if (!h || h.ok) break;
      failures++;
    }
    if (failures >= t.healthFailures)
      add(
        'health',
        `The health check failed ${failures} time(s) in a row (last: ${sample.health.status ?? sample.health.error ?? 'no answer'}).`,
      );
  }
  return found;
}
