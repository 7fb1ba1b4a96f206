/**
 * Prometheus metrics reader for the post-deploy watch: scrape a text exposition endpoint, then
 * compare two scrapes: counter increases (with counter-reset handling), error rate, and latency
 * quantiles from histogram buckets (the same linear interpolation as PromQL `histogram_quantile`).
 */
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import { redact } from '../base/redact.js';
import { describeFetchError, isCallerAbort, timeoutSignal } from './http.js';
import { parsePrometheusText, type ParsedMetrics, type Sample } from './prometheus-text.js';

export { familyOf, parsePrometheusText } from './prometheus-text.js';
export type { MetricType, ParsedMetrics, Sample } from './prometheus-text.js';

/** A parsed scrape and when it was taken (on the injected clock). */
export interface MetricsScrape extends ParsedMetrics {
  atMs: number;
}

/** Matches a label value exactly, by pattern, or by predicate. */
export type LabelMatcher = string | RegExp | ((value: string) => boolean);

/** Which series to take: a sample (or histogram family) name and label conditions. */
export interface SeriesSelector {
  name: string;
  labels?: Readonly<Record<string, LabelMatcher>>;
}

export interface ErrorRate {
  requests: number;
  errors: number;
  /** errors / requests, or null when there were no requests between the scrapes. */
  rate: number | null;
}

/** GETs and parses a metrics endpoint. Faults: `METRICS_UNREACHABLE`, `METRICS_HTTP_<status>`, `METRICS_PARSE`. */
export async function scrapeMetrics(
  url: string,
  options: { clock: Clock; timeoutMs?: number; signal?: AbortSignal },
): Promise<MetricsScrape> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const atMs = options.clock.now();
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      headers: { Accept: 'text/plain;version=0.0.4;q=0.9, */*;q=0.1', 'User-Agent': 'drawbridge-monitor' },
      signal: timeoutSignal(timeoutMs, options.signal),
    });
    text = await res.text();
  } catch (err) {
    if (isCallerAbort(options.signal)) throw options.signal?.reason;
    const why = describeFetchError(err, timeoutMs);
    throw new DrawbridgeError('METRICS_UNREACHABLE', `Could not read metrics from ${redact(url)}: ${why}`);
  }
  if (!res.ok) {
    throw new DrawbridgeError(
      'METRICS_HTTP_' + res.status,
      `Metrics endpoint ${redact(url)} answered ${res.status}`,
    );
  }
  return { ...parsePrometheusText(text), atMs };
}

const matches = (m: LabelMatcher, v: string): boolean =>
  typeof m === 'string' ? m === v : m instanceof RegExp ? m.test(v) : m(v);

/** Samples named `selector.name` whose labels satisfy every condition (a missing label is ""). */
export function selectSamples(metrics: ParsedMetrics, selector: SeriesSelector): Sample[] {
  const conditions = Object.entries(selector.labels ?? {});
  return metrics.samples.filter(
    (s) => s.name === selector.name && conditions.every(([k, m]) => matches(m, s.labels[k] ?? '')),
  );
}

const seriesKey = (s: Sample, omit?: string): string =>
  JSON.stringify(
    Object.entries(s.labels)
      .filter(([k]) => k !== omit)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

/**
 * Increase of each selected series between two scrapes, keyed by series. A series that went down
 * was reset (process restart), so its whole new value counts; a new series counts from zero.
 */
function increases(
  before: ParsedMetrics,
  after: ParsedMetrics,
  selector: SeriesSelector,
): Map<string, Sample> {
  const old = new Map(selectSamples(before, selector).map((s) => [seriesKey(s), s.value]));
  const out = new Map<string, Sample>();
  for (const s of selectSamples(after, selector)) {
    if (Number.isNaN(s.value)) continue;
    const prev = old.get(seriesKey(s)) ?? 0;
    out.set(seriesKey(s), { ...s, value: s.value >= prev ? s.value - prev : s.value });
  }
  return out;
}

/** Sum of the increases of every selected counter series between two scrapes. */
export function counterIncrease(
  before: ParsedMetrics,
  after: ParsedMetrics,
  selector: SeriesSelector,
): number {
  let sum = 0;
  for (const s of increases(before, after, selector).values()) sum += s.value;
  return sum;
}

/**
 * Share of failed requests between two scrapes. Defaults: requests `http_requests_total`, errors the
 * same counter with a `status` label of 5xx.
 */
export function errorRate(
  before: ParsedMetrics,
  after: ParsedMetrics,
  options: { requests?: SeriesSelector; errors?: SeriesSelector } = {},
): ErrorRate {
  const requestsSel = options.requests ?? { name: 'http_requests_total' };
  const errorsSel = options.errors ?? {
    name: requestsSel.name,
    labels: { ...requestsSel.labels, status: /^5\d\d$/ },
  };
  const requests = counterIncrease(before, after, requestsSel);
  const errors = counterIncrease(before, after, errorsSel);
  return { requests, errors, rate: requests > 0 ? errors / requests : null };
}

/**
 * The `q` quantile (0..1) of a histogram's observations made between two scrapes, summed over the
 * selected series (`selector.name` is the family name, without `_bucket`). Null when nothing was
 * observed. Like PromQL: linear interpolation inside a bucket, the lowest bucket starts at 0, and a
 * rank in the `+Inf` bucket gives the highest finite bound.
 */
export function latencyQuantile(
  before: ParsedMetrics,
  after: ParsedMetrics,
  q: number,
  selector: SeriesSelector = { name: 'http_request_duration_seconds' },
): number | null {
  if (!(q >= 0 && q <= 1))
    throw new DrawbridgeError('METRICS_QUANTILE', `Quantile must be within 0..1, got ${q}`);
  const buckets = bucketIncreases(before, after, selector);
  const total = buckets.at(-1);
  if (!total || total.le !== Infinity || total.count <= 0) return null;
  const rank = q * total.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const [i, b] of buckets.entries()) {
    if (b.count >= rank) {
      if (b.le === Infinity) return buckets[i - 1]?.le ?? null;
      if (i === 0 && b.le <= 0) return b.le;
      const inBucket = b.count - prevCount;
      return inBucket <= 0 ? b.le : prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return null;
}

/** Mean observation between two scrapes (`_sum` increase / `_count` increase), or null if none. */
export function histogramMean(
  before: ParsedMetrics,
  after: ParsedMetrics,
  selector: SeriesSelector,
): number | null {
  const count = counterIncrease(before, after, { ...selector, name: `${selector.name}_count` });
  const sum = counterIncrease(before, after, { ...selector, name: `${selector.name}_sum` });
  return count > 0 ? sum / count : null;
}

/** Cumulative bucket increases aggregated over series, sorted by bound, kept monotonic. */
function bucketIncreases(
  before: ParsedMetrics,
  after: ParsedMetrics,
  selector: SeriesSelector,
): { le: number; count: number }[] {
  const byLe = new Map<number, number>();
  for (const s of increases(before, after, { ...selector, name: `${selector.name}_bucket` }).values()) {
    const le = s.labels.le === undefined ? NaN : Number(s.labels.le.replace(/^\+?Inf$/i, 'Infinity'));
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  let max = 0;
  return [...byLe.entries()]
    .sort(([a], [b]) => a - b)
    .map(([le, count]) => {
      max = Math.max(max, count);
      return { le, count: max };
    });
}
