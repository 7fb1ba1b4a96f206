/**
 * The post-deploy watch in Slack: an alert (with Restore backup while the backup exists, and Stop
 * watching), the summary in plain words then per series, and `/migrate watch <run>`. Pure.
 */
import type { RunView, WatchAlert, WatchSummary } from '../../core/index.js';
import { ACTIONS } from './action-ids.js';
import {
  context,
  esc,
  finishMessage,
  header,
  section,
  sectionsFromLines,
  type Block,
  type SlackMessage,
} from './blocks.js';

const ALERT_TITLES: Record<WatchAlert['kind'], string> = {
  error_rate: 'Error rate',
  latency_p95: 'p95 latency',
  lock_waits: 'Lock waits',
  deadlocks: 'Deadlocks',
  connections: 'Connections',
  health: 'Health check',
};

function button(text: string, actionId: string, runId: string, style?: 'danger'): Record<string, unknown> {
  return {
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value: runId,
    ...(style ? { style } : {}),
  };
}

/** An alert in the run's thread, with the ways out that make sense now. */
export function renderWatchAlert(
  runId: string,
  alert: WatchAlert,
  actions: Pick<RunView['actions'], 'restore' | 'stopWatching'> | undefined,
): SlackMessage {
  const title = ALERT_TITLES[alert.kind];
  const els: Record<string, unknown>[] = [];
  if (actions?.restore) els.push(button('Restore backup', ACTIONS.restore, runId, 'danger'));
  if (actions?.stopWatching) els.push(button('Stop watching', ACTIONS.stopWatching, runId));
  const blocks: Block[] = [
    section(`:rotating_light: *Watch alert: ${esc(title)}*\n${esc(alert.message)}`),
    context('At most one alert of a kind per hour. Compared with the baseline taken before the deploy.'),
    ...(els.length ? [{ type: 'actions', block_id: `watch-alert:${runId}`, elements: els }] : []),
  ];
  return finishMessage(`Watch alert (${title}): ${alert.message}`, blocks);
}

function value(v: number | null, unit: string): string {
  if (v === null) return 'n/a';
  const digits = unit === '%' ? (v < 1 ? 2 : 1) : unit === 'ms' && v >= 10 ? 0 : 2;
  const n = v.toLocaleString('en-US', { maximumFractionDigits: digits });
  return unit === 'count' ? n : `${n} ${unit}`;
}

/** Per series: baseline → min, median, p95, max and trend. */
export function metricLines(s: WatchSummary): string[] {
  return s.metrics
    .filter((m) => m.samples > 0)
    .map(
      (m) =>
        `• *${esc(m.label)}*: baseline ${value(m.baseline, m.unit)} → min ${value(m.min, m.unit)}, median ${value(m.median, m.unit)}, p95 ${value(m.p95, m.unit)}, max ${value(m.max, m.unit)} (${m.trend})`,
    );
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** The summary: plain words first, then the numbers. `final`: the watch has ended. */
export function renderWatchSummary(s: WatchSummary, final: boolean): SlackMessage {
  const head = final
    ? `:bar_chart: *The watch of run ${s.runId} ended* (${esc(s.endReason ?? 'ended')})`
    : `:eyes: *Watch of run ${s.runId} so far* (until ${when(s.endsAt)})`;
  const words = s.sentences.map((x) => `• ${esc(x)}`);
  const blocks: Block[] = [
    section(head),
    ...sectionsFromLines(words),
    ...sectionsFromLines(metricLines(s)),
    context(
      `${s.samples} sample(s) and ${s.gaps} gap(s) of ${s.slots} slot(s) · ${s.alerts} alert(s) · deploy ${when(s.startedAt)}`,
    ),
  ];
  return finishMessage(
    `${final ? 'Watch summary' : 'Watch so far'} for run ${s.runId}: ${s.sentences.join(' ')}`,
    blocks,
  );
}

/** `/migrate watch <run>`. */
export function renderWatchReply(s: WatchSummary, watching: boolean): SlackMessage {
  const m = renderWatchSummary(s, !watching);
  return finishMessage(m.text, [header(`Watch · run ${s.runId} · ${s.environment}`), ...m.blocks]);
}

/** The text posted instead of the chart when its upload is given up. */
export function chartFallbackText(s: WatchSummary): string {
  const lines = metricLines(s).slice(0, 6).join('\n');
  return `:chart_with_upwards_trend: The chart could not be uploaded; the main series in numbers:\n${lines || '(no series were sampled)'}`;
}
