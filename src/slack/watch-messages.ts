/**
 * The post-deploy watch's events as messages in the run's thread, through the outbox: each alert once
 * (keyed by kind and time) with its buttons, the summary once, then the chart upload (`chart.upload`,
 * same lane, so it follows the summary). The keys make a repeated event (a restart between emitting
 * and recording the end) post nothing twice.
 */
import type { ChartUpload, PipelineEvent, RunView } from '../core/index.js';
import { renderWatchAlert, renderWatchSummary, chartFallbackText } from './renderers/monitor-message.js';
import type { RunMessenger } from './run-messenger.js';

export function watchMessages(
  messenger: RunMessenger,
  view: (runId: string) => RunView | undefined,
): (event: PipelineEvent) => void {
  return (event) => {
    if (event.kind === 'monitor:alert') {
      const m = renderWatchAlert(event.runId, event.alert, view(event.runId)?.actions);
      messenger.noteBlocks(event.runId, `watch-alert:${event.alert.kind}:${event.at}`, m.text, m.blocks);
    } else if (event.kind === 'monitor:finished') {
      const m = renderWatchSummary(event.summary, true);
      messenger.noteBlocks(event.runId, 'watch-summary', m.text, m.blocks);
      const upload: ChartUpload = {
        runId: event.runId,
        chart: event.chart,
        title: `Run ${event.runId} after the deploy (${event.summary.environment})`,
        fallback: chartFallbackText(event.summary),
      };
      messenger.inThread(event.runId, 'chart.upload', upload, 'watch-chart');
    }
  };
}
