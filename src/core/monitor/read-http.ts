/**
 * The application side of a sample: one health request (no retries: a watch samples, it does not
 * insist) and one scrape of the Prometheus endpoint, compared with the previous scrape's counters.
 */
import type { Clock } from '../../base/clock.js';
import type { MonitorConfig } from '../../config/file-schema.js';
import { checkHealth, type HealthCheckConfig } from '../../integrations/healthcheck.js';
import {
  errorRate,
  latencyQuantile,
  scrapeMetrics,
  selectSamples,
  type ParsedMetrics,
  type SeriesSelector,
} from '../../integrations/metrics.js';
import type { Counters, HealthReading, HttpReading } from './types.js';

/** One health request. */
export async function readHealth(config: HealthCheckConfig, clock: Clock): Promise<HealthReading> {
  const r = await checkHealth({ ...config, retries: 0 }, clock);
  const a = r.attempts[0];
  return {
    ok: r.ok,
    status: r.lastStatus,
    latencyMs: a?.durationMs ?? 0,
    ...(a?.error ? { error: a.error } : {}),
  };
}

function selectors(m: MonitorConfig): {
  requests: SeriesSelector;
  errors: SeriesSelector;
  latency: SeriesSelector;
} {
  const requests = { name: m.requests.name, labels: m.requests.labels };
  return {
    requests,
    errors: {
      name: requests.name,
      labels: { ...requests.labels, [m.errors.label]: new RegExp(m.errors.pattern) },
    },
    latency: { name: m.latency.name, labels: m.latency.labels },
  };
}

/** The series the watch keeps between samples: the request counter and the latency histogram. */
function keep(m: MonitorConfig, parsed: ParsedMetrics): NonNullable<Counters['metrics']> {
  const s = selectors(m);
  const names = [s.latency.name + '_bucket', s.latency.name + '_count', s.latency.name + '_sum'];
  return [
    ...selectSamples(parsed, s.requests),
    ...names.flatMap((name) => selectSamples(parsed, { name, labels: s.latency.labels ?? {} })),
  ].map((x) => [x.name, { ...x.labels }, x.value] as const);
}

function asParsed(kept: Counters['metrics']): ParsedMetrics {
  return {
    samples: (kept ?? []).map(([name, labels, value]) => ({ name, labels, value })),
    types: {},
    help: {},
  };
}

/** Traffic between `before` and `after` (empty `before`: since the application started). */
export function httpBetween(
  m: MonitorConfig,
  before: ParsedMetrics,
  after: ParsedMetrics,
  seconds: number | null,
): HttpReading {
  const s = selectors(m);
  const e = errorRate(before, after, { requests: s.requests, errors: s.errors });
  return {
    requests: e.requests,
    errors: e.errors,
    requestRate: seconds && seconds > 0 ? e.requests / seconds : null,
    errorRate: e.rate,
    p95: latencyQuantile(before, after, 0.95, s.latency),
    p99: latencyQuantile(before, after, 0.99, s.latency),
  };
}

/**
 * Scrapes the endpoint. With `previous`, the reading covers the interval since it; without, the
 * application's lifetime (the baseline). Returns the counters to keep. Throws when unreachable.
 */
export async function readMetrics(
  m: MonitorConfig & { metricsUrl: string },
  clock: Clock,
  previous: Counters['metrics'] | undefined,
  previousAt: number | undefined,
): Promise<{ reading: HttpReading; kept: NonNullable<Counters['metrics']> }> {
  const scrape = await scrapeMetrics(m.metricsUrl, { clock, timeoutMs: m.metricsTimeoutMs });
  const seconds = previous && previousAt !== undefined ? (scrape.atMs - previousAt) / 1000 : null;
  return { reading: httpBetween(m, asParsed(previous), scrape, seconds), kept: keep(m, scrape) };
}
