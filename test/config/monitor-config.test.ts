import { parseFileConfig, ConfigError } from '../../src/config/load-config.js';

const withMonitor = (monitor: string): string => `
slack: { channel: C0MIGRATE1 }
environments:
  production:
    database: { urlEnv: PROD_DATABASE_URL }
    monitor: ${monitor}
`;

function problemsOf(text: string): string[] {
  try {
    parseFileConfig(text, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('the monitor block', () => {
  it('applies the defaults: 24 hours, every 5 minutes, the usual metric names and thresholds', () => {
    const file = parseFileConfig(withMonitor('{}'), '/srv/app');
    expect(file.environments.production?.monitor).toEqual({
      hours: 24,
      everyMinutes: 5,
      metricsTimeoutMs: 5000,
      requests: { name: 'http_requests_total', labels: {} },
      errors: { label: 'status', pattern: '^5\\d\\d$' },
      latency: { name: 'http_request_duration_seconds', labels: {} },
      thresholds: {
        errorRatePoints: 1,
        p95IncreasePercent: 50,
        lockWaiters: 3,
        deadlocks: 1,
        connectionsPercent: 80,
        healthFailures: 2,
      },
    });
  });

  it('accepts a trial watch of a fraction of an hour, a metrics URL and a code label', () => {
    const file = parseFileConfig(
      withMonitor(
        '{ hours: 0.1, everyMinutes: 1, metricsUrl: "http://127.0.0.1:8080/metrics", errors: { label: code }, thresholds: { lockWaiters: 1 } }',
      ),
      '/srv/app',
    );
    expect(file.environments.production?.monitor).toMatchObject({
      hours: 0.1,
      everyMinutes: 1,
      metricsUrl: 'http://127.0.0.1:8080/metrics',
      errors: { label: 'code', pattern: '^5\\d\\d$' },
      thresholds: { lockWaiters: 1, deadlocks: 1 },
    });
  });

  it.each([
    ['{ hours: 0 }', /monitor\.hours: expected a number > 0/],
    ['{ everyMinutes: 0.5 }', /monitor\.everyMinutes: expected a number >= 1/],
    ['{ metricsUrl: "not a url" }', /monitor\.metricsUrl: expected a URL/],
    ['{ hours: 0.01, everyMinutes: 5 }', /everyMinutes must not be longer than the watch/],
    ['{ errors: { pattern: "(" } }', /monitor\.errors\.pattern: expected a regular expression/],
    ['{ thresholds: { lockWaits: 2 } }', /monitor\.thresholds/],
    ['{ every: 5 }', /monitor/],
  ])('refuses %s', (monitor, problem) => {
    expect(problemsOf(withMonitor(monitor)).join('\n')).toMatch(problem);
  });
});
