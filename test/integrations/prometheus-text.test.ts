import { readFileSync } from 'node:fs';
import { DrawbridgeError } from '../../src/base/errors.js';
import { familyOf, parsePrometheusText } from '../../src/integrations/prometheus-text.js';

const fixture = readFileSync(new URL('./fixtures/app-metrics.prom', import.meta.url), 'utf8');

describe('parsePrometheusText', () => {
  const parsed = parsePrometheusText(fixture);
  const one = (name: string) => parsed.samples.filter((s) => s.name === name);

  it('reads types and help of every family', () => {
    expect(parsed.types).toMatchObject({
      process_cpu_user_seconds_total: 'counter',
      process_start_time_seconds: 'gauge',
      nodejs_gc_duration_seconds: 'histogram',
      http_requests_total: 'counter',
      http_request_duration_seconds: 'histogram',
      rpc_duration_seconds: 'summary',
      app_info: 'gauge',
    });
    expect(parsed.help.app_info).toBe('Build information, with a \\ backslash and a \n newline in the help.');
    expect(parsed.samples).toHaveLength(47);
  });

  it('reads counters, gauges in exponent form, and labels', () => {
    expect(one('process_resident_memory_bytes')[0]?.value).toBe(89427968);
    expect(one('http_requests_total')).toContainEqual({
      name: 'http_requests_total',
      labels: { method: 'GET', route: '/api/orders', status: '500' },
      value: 3,
    });
  });

  it('reads histogram buckets (+Inf), sums and counts', () => {
    const buckets = one('http_request_duration_seconds_bucket').filter((s) => s.labels.method === 'GET');
    expect(buckets.map((b) => b.labels.le)).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '+Inf',
    ]);
    expect(buckets.at(-1)?.value).toBe(1030);
    expect(one('http_request_duration_seconds_sum')[0]?.value).toBe(25.731);
    expect(familyOf('http_request_duration_seconds_bucket', parsed.types)).toBe(
      'http_request_duration_seconds',
    );
    expect(familyOf('rpc_duration_seconds_count', parsed.types)).toBe('rpc_duration_seconds');
    expect(familyOf('queue_depth', parsed.types)).toBe('queue_depth');
  });

  it('unescapes label values and reads NaN, -Inf and timestamps', () => {
    expect(one('app_info')[0]?.labels).toEqual({
      version: '1.4.2',
      commit: 'a1b2c3d',
      note: 'says "hi"',
      path: 'C:\\app',
      multi: 'line1\nline2',
    });
    expect(one('rpc_duration_seconds').find((s) => s.labels.quantile === '0.99')?.value).toBeNaN();
    expect(one('queue_depth')[0]).toEqual({
      name: 'queue_depth',
      labels: { queue: 'emails' },
      value: 7,
      timestampMs: 1767225600000,
    });
    expect(one('pg_pool_connections')[0]).toEqual({
      name: 'pg_pool_connections',
      labels: { state: 'idle' },
      value: -Infinity,
    });
  });

  it('ignores OpenMetrics exemplars and # EOF', () => {
    const text = 'a_bucket{le="1"} 3 # {trace_id="abc def"} 0.5 1.6e9\nb 1 1600 # {x="y"} 1\n# EOF\n';
    expect(parsePrometheusText(text).samples.map((s) => [s.name, s.value, s.timestampMs])).toEqual([
      ['a_bucket', 3, undefined],
      ['b', 1, 1600],
    ]);
  });

  it.each([
    ['<html><body>Not metrics</body></html>', 1],
    ['ok 1\nbroken{le="1" 2', 2],
    ['x{a=b} 1', 1],
    ['x 12abc', 1],
    ['x', 1],
    ['x{a="1"}', 1],
    ['x 1 2 3', 1],
  ])('refuses %j with METRICS_PARSE naming line %i', (text, line) => {
    let err: unknown;
    try {
      parsePrometheusText(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect((err as DrawbridgeError).code).toBe('METRICS_PARSE');
    expect((err as DrawbridgeError).message).toContain(`line ${line}`);
  });
});
