/**
 * Turns pipeline events into Slack calls: the run's one live message is re-rendered and sent with
 * chat.update (coalesced, so a burst of events costs one call), details go to its thread, and team
 * notices go to the configured channel. Calls for one run are made in order, one at a time; the
 * pipeline never waits for Slack.
 */
import type { webApi } from '@slack/bolt';
import { describeError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { PipelineEvent, RunView, ThreadDetail } from '../core/pipeline/types.js';
import type { RunRecord } from '../store/run-types.js';
import { codeSection, esc, finishMessage, section, truncate, type SlackMessage } from './renderers/blocks.js';
import { renderRunMessage } from './renderers/run-message.js';
import { renderTeamNotice } from './renderers/team-notice.js';

/** `@U…` user references in a detail become Slack mentions. */
function withMentions(text: string, mentions: boolean | undefined): string {
  return mentions ? text.replace(/@([UW][A-Z0-9]{2,})\b/g, '<@$1>') : text;
}

/** Progress-only updates are sent at most this often per run. */
const PROGRESS_INTERVAL_MS = 1000;

interface RunQueue {
  tail: Promise<void>;
  updatePending: boolean;
  lastUpdateAt: number;
  progressTimer?: NodeJS.Timeout;
}

export interface RunMessengerOptions {
  readonly client: webApi.WebClient;
  readonly logger: Logger;
  /** The team channel (config `slack.channel`). */
  readonly teamChannel: string;
  readonly view: (runId: string) => RunView | undefined;
}

export class RunMessenger {
  private readonly queues = new Map<string, RunQueue>();

  constructor(private readonly opts: RunMessengerOptions) {}

  /** The Web API client the messages go through. */
  get client(): webApi.WebClient {
    return this.opts.client;
  }

  /** The observer to hand to RunService. */
  readonly observe = (event: PipelineEvent): void => {
    switch (event.kind) {
      case 'progress':
        this.scheduleProgress(event.runId);
        return;
      case 'detail':
        this.enqueue(event.runId, (run) => this.postDetail(run, event.detail));
        return;
      case 'notice':
        this.enqueue(event.runId, (run) => this.postTeam(run, renderTeamNotice(event.notice)));
        return;
      default:
        this.scheduleUpdate(event.runId);
    }
  };

  /** Posts the first live message of a run in `channel` and remembers where it is. */
  async postRunMessage(
    runId: string,
    channel: string,
    remember: (ts: string) => void,
  ): Promise<string | undefined> {
    const view = this.opts.view(runId);
    if (!view) return undefined;
    const msg = renderRunMessage(view);
    const res = await this.opts.client.chat.postMessage({ channel, ...msg });
    if (res.ts) remember(res.ts);
    return res.ts;
  }

  /** Posts a reply in the run's thread (used by listeners for one-off notes); `text` is Slack mrkdwn. */
  thread(runId: string, text: string): void {
    this.enqueue(runId, (run) => this.postDetail(run, { title: '', text }, true));
  }

  /** Resolves when every call queued so far (for one run, or all) has been made. */
  async flush(runId?: string): Promise<void> {
    const queues = runId ? [this.queues.get(runId)] : [...this.queues.values()];
    for (const q of queues) {
      if (q?.progressTimer) {
        clearTimeout(q.progressTimer);
        q.progressTimer = undefined;
        if (runId) this.scheduleUpdate(runId);
      }
    }
    await Promise.all(queues.map((q) => q?.tail));
  }

  private queue(runId: string): RunQueue {
    let q = this.queues.get(runId);
    if (!q) {
      q = { tail: Promise.resolve(), updatePending: false, lastUpdateAt: 0 };
      this.queues.set(runId, q);
    }
    return q;
  }

  private enqueue(runId: string, work: (run: RunRecord) => Promise<unknown>): void {
    const q = this.queue(runId);
    q.tail = q.tail.then(async () => {
      const view = this.opts.view(runId);
      if (!view?.run.channel || !view.run.messageTs) return;
      try {
        await work(view.run);
      } catch (err) {
        this.opts.logger.warn({ runId, err: describeError(err) }, 'a Slack call for a run failed');
      }
    });
  }

  private scheduleUpdate(runId: string): void {
    const q = this.queue(runId);
    if (q.updatePending) return;
    q.updatePending = true;
    this.enqueue(runId, async (run) => {
      q.updatePending = false;
      q.lastUpdateAt = performance.now();
      const view = this.opts.view(runId);
      if (!view || !run.channel || !run.messageTs) return;
      const msg = renderRunMessage(view);
      await this.opts.client.chat.update({ channel: run.channel, ts: run.messageTs, ...msg });
    });
  }

  private scheduleProgress(runId: string): void {
    const q = this.queue(runId);
    if (q.progressTimer || q.updatePending) return;
    const wait = Math.max(0, q.lastUpdateAt + PROGRESS_INTERVAL_MS - performance.now());
    q.progressTimer = setTimeout(() => {
      q.progressTimer = undefined;
      this.scheduleUpdate(runId);
    }, wait);
    q.progressTimer.unref();
  }

  private async postDetail(run: RunRecord, detail: ThreadDetail, mrkdwn = false): Promise<void> {
    const title = detail.title ? `*${esc(detail.title)}*` : '';
    const body = detail.code
      ? undefined
      : mrkdwn
        ? detail.text
        : withMentions(esc(detail.text), detail.mentions);
    const blocks = detail.code
      ? [...(title ? [section(title)] : []), codeSection(detail.text)]
      : [section(truncate(`${title}${title && body ? '\n' : ''}${body ?? ''}`, 3000))];
    const msg: SlackMessage = finishMessage(`${detail.title}: ${detail.text}`.slice(0, 2900), blocks);
    await this.opts.client.chat.postMessage({
      channel: run.channel ?? '',
      thread_ts: run.messageTs ?? '',
      ...msg,
    });
  }

  private async postTeam(run: RunRecord, text: string): Promise<void> {
    const msg = finishMessage(text, [section(text)]);
    if (run.channel === this.opts.teamChannel) {
      await this.opts.client.chat.postMessage({
        channel: run.channel,
        thread_ts: run.messageTs ?? '',
        reply_broadcast: true,
        ...msg,
      });
    } else {
      await this.opts.client.chat.postMessage({ channel: this.opts.teamChannel, ...msg });
    }
  }
}
