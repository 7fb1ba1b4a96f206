/**
 * The outbox deliverer of `chart.upload` items: draws the watch's chart (integrations/chart.ts) and
 * shares it in the run's thread with Slack's upload flow (outbox/slack-upload.ts). A chart that cannot
 * be drawn is a failure not worth retrying; the outbox then gives the item up and the composition
 * root posts the item's text fallback in the thread instead.
 */
import { describeError } from '../../base/errors.js';
import { renderLineChart } from '../../integrations/chart.js';
import type { Deliverer } from '../outbox/outbox-worker.js';
import type { SlackWebClient } from '../outbox/slack-client.js';
import { uploadFileToThread } from '../outbox/slack-upload.js';
import type { ChartInput } from './types.js';

/** The payload of a `chart.upload` item. */
export interface ChartUpload {
  readonly runId: string;
  readonly chart: ChartInput;
  readonly title: string;
  /** Posted in the thread when the upload is given up. */
  readonly fallback: string;
}

/** Where a run's thread is, if it has a message. */
export type ThreadOf = (runId: string) => { channel: string; ts: string } | undefined;

export function chartDeliverer(client: SlackWebClient, threadOf: ThreadOf): Deliverer {
  return async (msg, signal) => {
    const p = msg.payload as ChartUpload;
    const where = threadOf(p.runId);
    if (!where) return { ok: true, result: { skipped: 'the run has no message' } };
    let bytes: Buffer;
    try {
      bytes = await renderLineChart({
        title: p.chart.title,
        series: p.chart.series.map((s) => ({ ...s, points: s.points.map((x) => ({ ...x })) })),
        markers: p.chart.markers.map((m) => ({ ...m })),
      });
    } catch (err) {
      return { ok: false, retryable: false, error: `the chart could not be drawn: ${describeError(err)}` };
    }
    return uploadFileToThread(client, {
      channel: where.channel,
      threadTs: where.ts,
      filename: `watch-${p.runId}.png`,
      title: p.title,
      bytes,
      signal,
    });
  };
}
