import type { WatchSummary } from '../../src/core/index.js';
import {
  chartFallbackText,
  renderWatchAlert,
  renderWatchSummary,
} from '../../src/slack/renderers/monitor-message.js';

const summary: WatchSummary = {
  runId: 'abcd1234',
  environment: 'production',
  startedAt: Date.UTC(2026, 0, 1, 12),
  endsAt: Date.UTC(2026, 0, 2, 12),
  endedAt: Date.UTC(2026, 0, 2, 12),
  endReason: 'the watch time is up',
  slots: 288,
  samples: 287,
  gaps: 1,
  alerts: 0,
  metrics: [
    {
      key: 'error_rate',
      label: 'error rate',
      unit: '%',
      baseline: 0.1,
      samples: 287,
      min: 0,
      median: 0.1,
      p95: 0.3,
      max: 0.5,
      trend: 'flat',
    },
    {
      key: 'p95',
      label: 'p95 latency',
      unit: 'ms',
      baseline: 120,
      samples: 287,
      min: 90,
      median: 130,
      p95: 180,
      max: 240,
      trend: 'falling',
    },
    {
      key: 'deadlocks',
      label: 'deadlocks per sample',
      unit: 'count',
      baseline: null,
      samples: 0,
      min: null,
      median: null,
      p95: null,
      max: null,
      trend: 'unknown',
    },
  ],
  indexes: [{ name: 'Order_userId_idx', scans: 12400 }],
  tables: [],
  cost: { medianMs: 14, maxMs: 40 },
  slowest: null,
  sentences: [
    'Watched production for 24 h: 287 sample(s), 1 gap(s), 0 alert(s).',
    'Error rate unchanged at 0.1 % (max 0.5 %).',
  ],
};

describe('watch messages', () => {
  it('the summary: plain words first, then per series baseline → min, median, p95, max and trend', () => {
    const m = renderWatchSummary(summary, true);
    const text = JSON.stringify(m.blocks);
    expect(text.indexOf('Watched production')).toBeLessThan(text.indexOf('baseline 0.1 %'));
    expect(text).toContain(
      '*error rate*: baseline 0.1 % → min 0 %, median 0.1 %, p95 0.3 %, max 0.5 % (flat)',
    );
    expect(text).toContain(
      '*p95 latency*: baseline 120 ms → min 90 ms, median 130 ms, p95 180 ms, max 240 ms (falling)',
    );
    expect(text).not.toContain('deadlocks per sample');
    expect(text).toContain('287 sample(s) and 1 gap(s) of 288 slot(s)');
    expect(m.text).toMatch(/^Watch summary for run abcd1234: Watched production/);
  });

  it('an alert offers Restore backup while the backup exists, and Stop watching', () => {
    const alert = { kind: 'error_rate' as const, message: 'Error rate is 12.0 %.' };
    const ids = (a: { restore: boolean; stopWatching?: boolean }): unknown[] =>
      renderWatchAlert('abcd1234', alert, a)
        .blocks.filter((b) => b.type === 'actions')
        .flatMap((b) => (b.elements as { action_id: string }[]).map((e) => e.action_id));
    expect(ids({ restore: true, stopWatching: true })).toEqual(['run_restore', 'run_stop_watching']);
    expect(ids({ restore: false, stopWatching: true })).toEqual(['run_stop_watching']);
    expect(ids({ restore: false, stopWatching: false })).toEqual([]);
  });

  it('the chart fallback carries the main series in numbers', () => {
    expect(chartFallbackText(summary)).toContain('*error rate*: baseline 0.1 %');
  });
});
