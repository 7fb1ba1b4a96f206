/**
 * Takes one sample (or the baseline): the health check, the metrics endpoint and PostgreSQL, each
 * on its own so that one failing source leaves the others. Never throws: what failed is recorded in
 * `errors`, and a sample with nothing read at all is a gap. Its cost is measured in real time (what
 * it costs the systems watched does not depend on the injected clock).
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../base/clock.js';
import { describeError } from '../../base/errors.js';
import type { EnvironmentConfig, MonitorConfig } from '../../config/file-schema.js';
import { readDatabase } from './read-database.js';
import { readHealth, readMetrics } from './read-http.js';
import type { Counters, SampleData, WatchTargets } from './types.js';

export interface SampleSources {
  readonly env: Readonly<EnvironmentConfig>;
  readonly monitor: MonitorConfig;
  /** The database URL reachable from here, or the reason there is none. */
  readonly databaseUrl: string | { readonly error: string };
  readonly targets: WatchTargets;
  readonly clock: Clock;
}

export interface TakenSample {
  readonly data: SampleData;
  readonly counters: Counters;
  /** False when no source could be read: the slot is a gap. */
  readonly ok: boolean;
  readonly costMs: number;
}

/** Reads every source once; `previous` counters make the deltas (none: lifetime / zero change). */
export async function takeSample(src: SampleSources, previous: Counters | undefined): Promise<TakenSample> {
  const t0 = performance.now();
  const errors: Record<string, string> = {};
  const data: { -readonly [K in keyof SampleData]: SampleData[K] } = {};
  const counters: { -readonly [K in keyof Counters]: Counters[K] } = { atMs: src.clock.now() };
  let read = 0;
  if (src.env.healthcheck) {
    try {
      data.health = await readHealth(src.env.healthcheck, src.clock);
      read++;
    } catch (err) {
      errors.health = describeError(err);
    }
  }
  const metricsUrl = src.monitor.metricsUrl;
  if (metricsUrl) {
    try {
      const m = await readMetrics(
        { ...src.monitor, metricsUrl },
        src.clock,
        previous?.metrics,
        previous?.atMs,
      );
      data.http = m.reading;
      counters.metrics = m.kept;
      read++;
    } catch (err) {
      errors.metrics = describeError(err);
      // The next sample counts from the last scrape that worked.
      if (previous?.metrics) counters.metrics = previous.metrics;
    }
  }
  if (typeof src.databaseUrl === 'string') {
    try {
      const d = await readDatabase(src.databaseUrl, src.targets, previous?.db);
      data.db = d.reading;
      counters.db = d.counters;
      read++;
    } catch (err) {
      errors.database = describeError(err);
      if (previous?.db) counters.db = previous.db;
    }
  } else {
    errors.database = src.databaseUrl.error;
    if (previous?.db) counters.db = previous.db;
  }
  if (Object.keys(errors).length) data.errors = errors;
  return { data, counters, ok: read > 0, costMs: Math.round(performance.now() - t0) };
}
