import { parsePrometheusText } from '../../src/integrations/prometheus-text.js';
import { startHttpTarget, type HttpTarget } from '../support/http-target.js';

describe('http-target test app', () => {
  let target: HttpTarget;
  beforeAll(async () => {
    target = await startHttpTarget();
  });
  afterAll(() => target.close());

  it('switches /health and fails the next N requests', async () => {
    const status = async () => (await fetch(target.healthUrl)).status;
    expect(await status()).toBe(200);
    target.failNext(2, 502);
    expect([await status(), await status(), await status()]).toEqual([502, 502, 200]);
    target.setHealthy(false);
    expect(await status()).toBe(503);
    target.setHealthy(true);
    expect(await status()).toBe(200);
    expect(target.requests.filter((r) => r.path === '/health').map((r) => r.status)).toEqual([
      200, 502, 502, 200, 503, 200,
    ]);
  });

  it('serves settable counters, gauges and histograms as parseable exposition text', async () => {
    target.setMetric('pg_connections', 12, { state: 'active "x"' }, 'gauge');
    target.incMetric('jobs_total', 3);
    target.defineHistogram('lat_seconds', [0.1, 1]);
    target.observe('lat_seconds', 0.05);
    target.observe('lat_seconds', 5);
    const res = await fetch(target.metricsUrl);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const parsed = parsePrometheusText(await res.text());
    expect(parsed.types).toEqual({
      pg_connections: 'gauge',
      jobs_total: 'counter',
      lat_seconds: 'histogram',
    });
    expect(parsed.samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['pg_connections', { state: 'active "x"' }, 12],
      ['jobs_total', {}, 3],
      ['lat_seconds_bucket', { le: '0.1' }, 1],
      ['lat_seconds_bucket', { le: '1' }, 1],
      ['lat_seconds_bucket', { le: '+Inf' }, 2],
      ['lat_seconds_sum', {}, 5.05],
      ['lat_seconds_count', {}, 2],
    ]);
  });
});
