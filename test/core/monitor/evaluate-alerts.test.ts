import {
  ALERT_QUIET_MS,
  evaluateAlerts,
  type AlertInput,
} from '../../../src/core/monitor/evaluate-alerts.js';
import type { SampleData } from '../../../src/core/monitor/types.js';

const thresholds = {
  errorRatePoints: 1,
  p95IncreasePercent: 50,
  lockWaiters: 1,
  deadlocks: 1,
  connectionsPercent: 80,
  healthFailures: 2,
};
const NOW = 1_000_000_000;

const quiet: SampleData = {
  http: { requests: 100, errors: 0, requestRate: 1, errorRate: 0, p95: 0.1, p99: 0.2 },
  health: { ok: true, status: 200, latencyMs: 5 },
};

function input(sample: SampleData, over: Partial<AlertInput> = {}): AlertInput {
  return {
    sample,
    baseline: {
      at: 0,
      http: { requests: 1, errors: 0, requestRate: null, errorRate: 0.001, p95: 0.1, p99: 0.2 },
    },
    thresholds,
    earlier: [],
    lastAlertAt: {},
    now: NOW,
    ...over,
  };
}

const dbWith = (over: Partial<NonNullable<SampleData['db']>>): NonNullable<SampleData['db']> => ({
  connections: {},
  serverConnections: 5,
  maxConnections: 100,
  connectionsPercent: 5,
  idleInTransaction: 0,
  longestQuery: null,
  lockWaiters: 0,
  deadlocks: 0,
  rollbacks: 0,
  tempFiles: 0,
  tables: [],
  indexes: [],
  statements: null,
  ...over,
});

describe('evaluateAlerts', () => {
  it('says nothing when everything is at baseline', () => {
    expect(evaluateAlerts(input(quiet))).toEqual([]);
  });

  it.each([
    [
      'error_rate',
      { http: { requests: 100, errors: 12, requestRate: 1, errorRate: 0.12, p95: 0.1, p99: 0.2 } },
    ],
    [
      'latency_p95',
      { http: { requests: 100, errors: 0, requestRate: 1, errorRate: 0, p95: 0.16, p99: 0.2 } },
    ],
    ['lock_waits', { db: dbWith({ lockWaiters: 1 }) }],
    ['deadlocks', { db: dbWith({ deadlocks: 1 }) }],
    ['connections', { db: dbWith({ serverConnections: 85, connectionsPercent: 85 }) }],
  ] as const)('%s crosses its line', (kind, sample) => {
    expect(evaluateAlerts(input(sample as SampleData)).map((a) => a.kind)).toEqual([kind]);
  });

  it('an error rate just under the line against the baseline is quiet', () => {
    const s = { http: { requests: 1000, errors: 10, requestRate: 1, errorRate: 0.0105, p95: 0.1, p99: 0.2 } };
    expect(evaluateAlerts(input(s))).toEqual([]);
  });

  it('health alerts after failures in a row only', () => {
    const failed: SampleData = { health: { ok: false, status: 503, latencyMs: 3 } };
    expect(evaluateAlerts(input(failed))).toEqual([]);
    expect(evaluateAlerts(input(failed, { earlier: [quiet, failed] })).map((a) => a.kind)).toEqual([
      'health',
    ]);
    expect(evaluateAlerts(input(failed, { earlier: [failed, null] }))).toEqual([]);
  });

  it('one alert of a kind per hour', () => {
    const s = { db: dbWith({ lockWaiters: 3 }) };
    expect(evaluateAlerts(input(s, { lastAlertAt: { lock_waits: NOW - ALERT_QUIET_MS + 1 } }))).toEqual([]);
    expect(evaluateAlerts(input(s, { lastAlertAt: { lock_waits: NOW - ALERT_QUIET_MS } }))).toHaveLength(1);
    expect(evaluateAlerts(input(s, { lastAlertAt: { deadlocks: NOW } }))).toHaveLength(1);
  });

  it('without a latency baseline, p95 never alerts', () => {
    const s = { http: { requests: 100, errors: 0, requestRate: 1, errorRate: 0, p95: 9, p99: 9 } };
    expect(evaluateAlerts(input(s, { baseline: null }))).toEqual([]);
  });
});
