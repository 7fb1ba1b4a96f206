import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/base/clock.js';
import {
  counterIncrease,
  errorRate,
  histogramMean,
  latencyQuantile,
  parsePrometheusText,
  scrapeMetrics,
  selectSamples,
} from '../../src/integrations/metrics.js';
import { startHttpTarget, type HttpTarget } from '../support/http-target.js';

const fixture = readFileSync(new URL('./fixtures/app-metrics.prom', import.meta.url), 'utf8');

describe('scrapeMetrics and comparisons against a loopback target', () => {
  let target: HttpTarget;
  const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));

  beforeAll(async () => {
    target = await startHttpTarget();
  });
  afterAll(() => target.close());

  it('scrapes and parses a real exposition text', async () => {
    target.setMetricsText(fixture);
    const scrape = await scrapeMetrics(target.metricsUrl, { clock });
    target.setMetricsText(null);
    expect(scrape.atMs).toBe(clock.now());
    expect(scrape.samples).toHaveLength(47);
    expect(selectSamples(scrape, { name: 'http_requests_total', labels: { status: /^5/ } })).toHaveLength(2);
    // Against itself nothing happened in between.
    expect(errorRate(scrape, scrape)).toEqual({ requests: 0, errors: 0, rate: null });
    // From an empty scrape, every series counts from zero (the whole life of the process).
    const empty = parsePrometheusText('');
    expect(errorRate(empty, scrape)).toEqual({ requests: 1354, errors: 4, rate: 4 / 1354 });
    const getOrders = { name: 'http_request_duration_seconds', labels: { method: 'GET' } };
    // rank 515 of 1030 falls in (0.01, 0.025] holding 200..700: 0.01 + 0.015 * 315/500.
    expect(latencyQuantile(empty, scrape, 0.5, getOrders)).toBeCloseTo(0.01 + (0.015 * 315) / 500, 10);
    expect(histogramMean(empty, scrape, getOrders)).toBeCloseTo(25.731 / 1030, 10);
  });

  it('computes error rate, p50/p95/p99 and mean between two scrapes of settable metrics', async () => {
    target.defineHistogram(
      'http_request_duration_seconds',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    );
    // Traffic before the first scrape must not count.
    target.incMetric('http_requests_total', 1000, { route: '/api', status: '200' });
    for (let i = 0; i < 50; i++) target.observe('http_request_duration_seconds', 2, { route: '/api' });
    const before = await scrapeMetrics(target.metricsUrl, { clock });

    target.incMetric('http_requests_total', 95, { route: '/api', status: '200' });
    target.incMetric('http_requests_total', 5, { route: '/api', status: '502' });
    target.incMetric('http_requests_total', 7, { route: '/other', status: '404' });
    for (let i = 0; i < 90; i++) target.observe('http_request_duration_seconds', 0.03, { route: '/api' });
    for (let i = 0; i < 10; i++) target.observe('http_request_duration_seconds', 0.8, { route: '/api' });
    const after = await scrapeMetrics(target.metricsUrl, { clock });

    expect(errorRate(before, after)).toEqual({ requests: 107, errors: 5, rate: 5 / 107 });
    const api = { name: 'http_requests_total', labels: { route: '/api' } };
    expect(errorRate(before, after, { requests: api })).toEqual({ requests: 100, errors: 5, rate: 0.05 });
    // 90 observations in (0.025, 0.05], 10 in (0.5, 1].
    expect(latencyQuantile(before, after, 0.5)).toBeCloseTo(0.025 + (0.025 * 50) / 90, 10);
    expect(latencyQuantile(before, after, 0.95)).toBeCloseTo(0.75, 10);
    expect(latencyQuantile(before, after, 0.99)).toBeCloseTo(0.95, 10);
    expect(histogramMean(before, after, { name: 'http_request_duration_seconds' })).toBeCloseTo(0.107, 10);
    expect(latencyQuantile(before, before, 0.99)).toBeNull();
  });

  it('reports HTTP errors, an unreachable endpoint and a non-metrics page as faults', async () => {
    await expect(scrapeMetrics(`${target.url}/nope`, { clock })).rejects.toMatchObject({
      code: 'METRICS_HTTP_404',
    });
    target.setMetricsText('<!doctype html><html></html>');
    await expect(scrapeMetrics(target.metricsUrl, { clock })).rejects.toMatchObject({
      code: 'METRICS_PARSE',
    });
    target.setMetricsText(null);
    const gone = await startHttpTarget();
    await gone.close();
    await expect(scrapeMetrics(gone.metricsUrl, { clock })).rejects.toMatchObject({
      code: 'METRICS_UNREACHABLE',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});

describe('comparisons on parsed text', () => {
  it('treats a counter that went down as reset', () => {
    const before = parsePrometheusText('reqs{s="200"} 100\nreqs{s="500"} 10\n');
    const after = parsePrometheusText('reqs{s="200"} 20\nreqs{s="500"} 12\nreqs{s="503"} 1\n');
    expect(counterIncrease(before, after, { name: 'reqs' })).toBe(20 + 2 + 1);
    const rate = errorRate(before, after, {
      requests: { name: 'reqs' },
      errors: { name: 'reqs', labels: { s: /^5/ } },
    });
    expect(rate).toEqual({ requests: 23, errors: 3, rate: 3 / 23 });
  });

  it('gives the highest finite bound for a rank in the +Inf bucket, like histogram_quantile', () => {
    const h = (a: number, b: number, inf: number) =>
      parsePrometheusText(`h_bucket{le="0.1"} ${a}\nh_bucket{le="1"} ${b}\nh_bucket{le="+Inf"} ${inf}\n`);
    const zero = h(0, 0, 0);
    expect(latencyQuantile(zero, h(10, 10, 100), 0.99, { name: 'h' })).toBe(1);
    expect(latencyQuantile(zero, h(10, 10, 100), 0.05, { name: 'h' })).toBeCloseTo(0.05, 10);
    expect(latencyQuantile(zero, h(10, 10, 100), 0, { name: 'h' })).toBe(0);
    expect(() => latencyQuantile(zero, zero, 1.5, { name: 'h' })).toThrow(/0\.\.1/);
    expect(latencyQuantile(zero, parsePrometheusText('h_bucket{le="1"} 3\n'), 0.5, { name: 'h' })).toBeNull();
  });
});
