import {
  chartOf,
  quantile,
  summarizeWatch,
  trendOf,
  type WatchFacts,
} from '../../../src/core/monitor/summarize-watch.js';
import type { Baseline, SampleData } from '../../../src/core/monitor/types.js';
import type { SampleRecord } from '../../../src/store/monitor-store.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;

function db(over: Partial<NonNullable<SampleData['db']>> = {}): NonNullable<SampleData['db']> {
  return {
    connections: { idle: 3, active: 1 },
    serverConnections: 4,
    maxConnections: 100,
    connectionsPercent: 4,
    idleInTransaction: 0,
    longestQuery: null,
    lockWaiters: 0,
    deadlocks: 0,
    rollbacks: 0,
    tempFiles: 0,
    tables: [{ name: 'public.Order', bytes: 16384, seqScan: 5, idxScan: 10 }],
    indexes: [
      { name: 'Order_userId_idx', scans: 120 },
      { name: 'Order_total_idx', scans: 0 },
    ],
    statements: null,
    statementsNote:
      'pg_stat_statements is not installed in this database, so the slowest statements are not known',
    ...over,
  };
}

function sample(slot: number, errorRate: number, p95: number, extra: Partial<SampleData> = {}): SampleRecord {
  return {
    slot,
    dueAt: T0 + (slot + 1) * 5 * MIN,
    takenAt: T0 + (slot + 1) * 5 * MIN,
    kind: 'sample',
    data: {
      http: { requests: 1000, errors: errorRate * 1000, requestRate: 3.3, errorRate, p95, p99: p95 * 2 },
      db: db(),
      ...extra,
    },
    error: null,
    costMs: 10 + slot,
  };
}

const gap = (slot: number): SampleRecord => ({
  slot,
  dueAt: T0 + (slot + 1) * 5 * MIN,
  takenAt: null,
  kind: 'gap',
  data: null,
  error: 'missed',
  costMs: null,
});

const baseline: Baseline = {
  at: T0 - 10 * MIN,
  http: { requests: 10_000, errors: 10, requestRate: null, errorRate: 0.001, p95: 0.1, p99: 0.2 },
  db: db({ indexes: [], tables: [{ name: 'public.Order', bytes: 8192, seqScan: 5, idxScan: 0 }] }),
  indexScansAtStart: { Order_userId_idx: 20, Order_total_idx: 0 },
};

const facts: WatchFacts = {
  runId: 'abcd1234',
  environment: 'staging',
  startedAt: T0,
  endsAt: T0 + 6 * 5 * MIN,
  endedAt: T0 + 6 * 5 * MIN,
  endReason: 'the watch time is up',
  everyMs: 5 * MIN,
  baseline,
  targets: { tables: ['public.Order'], indexes: ['Order_total_idx', 'Order_userId_idx'] },
  alerts: 1,
};

describe('quantile and trend', () => {
  it.each([
    [[], 0.5, null],
    [[5], 0.95, 5],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[4, 1, 3, 2], 0.5, 2.5],
    [[1, 2, 3, 4, 5], 0.95, 4.8],
    [[10, 20], 0, 10],
    [[10, 20], 1, 20],
  ])('quantile(%j, %d) = %p', (values, q, expected) => {
    const got = quantile(values, q);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 10);
  });

  it.each([
    [[1, 1], 'unknown'],
    [[1, 1, 1], 'flat'],
    [[1, 1, 1.05], 'flat'],
    [[1, 2, 3, 4, 5, 6], 'rising'],
    [[6, 5, 4, 3, 2, 1], 'falling'],
    [[0, 0, 0], 'flat'],
  ])('trend of %j is %s', (values, trend) => {
    expect(trendOf(values)).toBe(trend);
  });
});

describe('summarizeWatch', () => {
  const samples = [
    sample(0, 0.001, 0.1),
    sample(1, 0.002, 0.12),
    gap(2),
    sample(3, 0.001, 0.1),
    sample(4, 0.001, 0.11),
    sample(5, 0.001, 0.1),
  ];
  const s = summarizeWatch(samples, facts);

  it('counts slots, samples and gaps, and per series baseline, min, median, p95, max', () => {
    expect(s).toMatchObject({ slots: 6, samples: 5, gaps: 1, alerts: 1 });
    const p95 = s.metrics.find((m) => m.key === 'p95');
    expect(p95).toMatchObject({ baseline: 100, samples: 5, min: 100, max: 120, median: 100 });
    expect(p95?.p95).toBeCloseTo(118, 6);
    const err = s.metrics.find((m) => m.key === 'error_rate');
    expect(err).toMatchObject({ baseline: 0.1, min: 0.1, max: 0.2, median: 0.1 });
    expect(s.cost).toEqual({ medianMs: 13, maxMs: 15 });
  });

  it('says in plain words what happened, first the span, then the series, the indexes and the gaps', () => {
    expect(s.sentences[0]).toBe('Watched staging for 0.5 h: 5 sample(s), 1 gap(s), 1 alert(s).');
    expect(s.sentences).toContain('Error rate unchanged at 0.1 % (max 0.2 %).');
    expect(s.sentences).toContain('New index `Order_userId_idx` used 100 times.');
    expect(s.sentences).toContain(
      'New index `Order_total_idx` not used (0 scans): check the queries meant to use it.',
    );
    expect(s.sentences).toContain('Table `public.Order` went from 8 kB to 16 kB.');
    expect(s.sentences).toContain('1 of 6 sample(s) missing (gaps: a failed sample or the bot not running).');
    expect(s.sentences.join(' ')).toMatch(/pg_stat_statements is not installed/);
  });

  it('tells a spike that recovered: up in the first hour, back to baseline after', () => {
    const spike = [
      sample(0, 0.001, 0.3),
      sample(1, 0.001, 0.2),
      sample(2, 0.001, 0.1),
      sample(3, 0.001, 0.1),
    ];
    const r = summarizeWatch(spike, facts);
    expect(r.sentences).toContain('P95 latency up 200 % in the first hour, back to baseline after 0.3 h.');
  });

  it('an index never seen in the statistics is said so, not reported as unused', () => {
    const r = summarizeWatch([sample(0, 0, 0.1, { db: db({ indexes: [] }) })], facts);
    expect(r.indexes).toEqual([
      { name: 'Order_total_idx', scans: null },
      { name: 'Order_userId_idx', scans: null },
    ]);
  });

  it('charts two units at most, with gaps as null and the deploy marked', () => {
    const c = chartOf(samples, facts);
    expect(c.markers).toEqual([{ t: T0, label: 'deploy' }]);
    expect(new Set(c.series.map((x) => x.unit ?? '')).size).toBeLessThanOrEqual(2);
    expect(c.series[0]?.name).toBe('error rate');
    expect(c.series[0]?.points[2]).toEqual({ t: T0 + 15 * MIN, v: null });
  });
});
