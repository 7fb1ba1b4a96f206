/**
 * Turns events into Slack messages through the outbox: the run's one live message (posted once,
 * then updated — updates coalesced so only the newest state is sent), details in its thread, team
 * notices, and direct messages. Each is written to the store before it is sent, and delivered in
 * order per run by the outbox worker with retries; the pipeline never waits for Slack, and a Slack
 * failure never changes a run. Updates are rendered when they are delivered, from the run as it is
 * then, so a late update never shows an old state.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Deliverer, DeliveryResult, OutboxWorker } from '../core/index.js';
import type { SlackWebClient } from '../core/index.js';
import { findPostedByKey, postMessageOnce, type PostedResult } from '../core/index.js';
import { classifySlackError } from '../core/index.js';
import type { PipelineEvent, RunView, TeamNotice, ThreadDetail } from '../core/index.js';
import type { OutboxStore } from '../store/outbox-store.js';
import {
  codeSection,
  esc,
  finishMessage,
  section,
  truncate,
  type Block,
  type SlackMessage,
} from './renderers/blocks.js';
import { renderRunMessage } from './renderers/run-message.js';
import { renderTeamNotice } from './renderers/team-notice.js';

/** Progress-only updates are queued at most this often per run. */
const PROGRESS_INTERVAL_MS = 1000;

/** `@U…` user references in a detail become Slack mentions. */
function withMentions(text: string, mentions: boolean | undefined): string {
  return mentions ? text.replace(/@([UW][A-Z0-9]{2,})\b/g, '<@$1>') : text;
}

export interface RunMessengerOptions {
  /** The client deliveries use (no retries of its own: the outbox retries). */
  readonly client: SlackWebClient;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The team channel (config `slack.channel`). */
  readonly teamChannel: string;
  readonly view: (runId: string) => RunView | undefined;
  /** Records where a run's live message is. */
  readonly remember: (runId: string, channel: string, ts: string) => void;
  readonly outbox: OutboxStore;
  readonly worker: OutboxWorker;
}

type Payload =
  | { runId: string; channel: string }
  | { runId: string }
  | { runId: string; detail: ThreadDetail; mrkdwn?: boolean; blocks?: readonly Record<string, unknown>[] }
  | { runId: string; text: string }
  | { runId: string; notice: TeamNotice }
  | { user: string; text: string };

export class RunMessenger {
  private readonly progressTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Runs with an update queued and not yet being delivered, and that update's outbox item: an update
   * renders the run as it is when it is delivered, so one queued update covers every change until
   * then (no new item per event). The item is checked in the store before relying on it: another
   * process on the same store (a bot starting while this one stops) may have started delivering it,
   * delivered it or superseded it without this process seeing it.
   */
  private readonly updateQueued = new Map<string, number>();
  private readonly lastUpdateAt = new Map<string, number>();

  constructor(private readonly opts: RunMessengerOptions) {}

  /** The Web API client deliveries go through. */
  get client(): SlackWebClient {
    return this.opts.client;
  }

  /** The observer to subscribe to the event bus. */
  readonly observe = (event: PipelineEvent): void => {
    switch (event.kind) {
      case 'progress':
        this.scheduleProgress(event.runId);
        return;
      case 'detail':
        this.queue(event.runId, 'slack.thread', { runId: event.runId, detail: event.detail });
        return;
      case 'notice':
        this.queue(event.runId, 'slack.team', { runId: event.runId, text: renderTeamNotice(event.notice) });
        return;
      default:
        this.update(event.runId);
    }
  };

  /**
   * Posts a run's live message in `channel` at once when Slack answers. Returns `posted` with its
   * ts, `queued` when Slack failed for a passing reason (the outbox posts it later, never twice), or
   * `failed` with Slack's error when it cannot be posted there at all (e.g. `not_in_channel`).
   */
  async postRunMessage(
    runId: string,
    channel: string,
  ): Promise<
    { kind: 'posted'; ts: string } | { kind: 'queued'; error: string } | { kind: 'failed'; error: string }
  > {
    const dedupeKey = `slack:run-post:${runId}`;
    const msg = { dedupeKey, attempts: 0, createdAt: this.opts.clock.now() };
    const view = this.opts.view(runId);
    if (!view) return { kind: 'failed', error: `no run ${runId}` };
    const first = await postMessageOnce(this.opts.client, { channel, ...renderRunMessage(view) }, msg);
    if (first.ok) {
      const posted = first.result as PostedResult;
      this.opts.remember(runId, channel, posted.ts);
      return { kind: 'posted', ts: posted.ts };
    }
    if (!first.retryable) return { kind: 'failed', error: first.error };
    // The answer may have been lost after Slack posted it: the outbox looks for it before posting.
    const queued = this.opts.outbox.enqueue({
      destination: this.lane(runId),
      kind: 'slack.runPost',
      payload: { runId, channel },
      dedupeKey,
    });
    this.opts.outbox.markRetry(queued.id, first.error, this.opts.clock.now() + (first.retryAfterMs ?? 1000));
    this.opts.worker.wake();
    return { kind: 'queued', error: first.error };
  }

  /** Posts a reply in the run's thread (used by listeners for one-off notes); `text` is Slack mrkdwn. */
  thread(runId: string, text: string): void {
    this.queue(runId, 'slack.thread', { runId, detail: { title: '', text }, mrkdwn: true });
  }

  /** Posts `text` (mrkdwn) in the run's thread once per `key`, however often it is asked. */
  note(runId: string, key: string, text: string): void {
    this.opts.outbox.enqueue({
      destination: this.lane(runId),
      kind: 'slack.thread',
      payload: { runId, detail: { title: '', text }, mrkdwn: true },
      dedupeKey: `slack.thread:note:${runId}:${key}`,
    });
    this.opts.worker.wake();
  }

  /** Posts a message with its own blocks (e.g. buttons) in the run's thread once per `key`. */
  noteBlocks(runId: string, key: string, text: string, blocks: readonly Record<string, unknown>[]): void {
    this.opts.outbox.enqueue({
      destination: this.lane(runId),
      kind: 'slack.thread',
      payload: { runId, detail: { title: '', text }, mrkdwn: true, blocks },
      dedupeKey: `slack.thread:note:${runId}:${key}`,
    });
    this.opts.worker.wake();
  }

  /**
   * Queues an item of another deliverer (e.g. `chart.upload`) in the run's lane, after what is
   * queued for the thread already, once per `key`.
   */
  inThread(runId: string, kind: string, payload: unknown, key: string): void {
    this.opts.outbox.enqueue({
      destination: this.lane(runId),
      kind,
      payload,
      dedupeKey: `${kind}:${runId}:${key}`,
    });
    this.opts.worker.wake();
  }

  /** Sends `user` a direct message (mrkdwn). */
  dm(user: string, text: string, key: string): void {
    this.opts.outbox.enqueue({
      destination: `slack:dm:${user}`,
      kind: 'slack.dm',
      payload: { user, text },
      dedupeKey: `slack:dm:${user}:${key}`,
    });
    this.opts.worker.wake();
  }

  /** Delivers what is queued (all runs; `runId` is accepted for the callers' clarity). */
  async flush(runId?: string): Promise<void> {
    const ids = runId ? [runId] : [...this.progressTimers.keys()];
    for (const id of ids) {
      const t = this.progressTimers.get(id);
      if (t) {
        clearTimeout(t);
        this.progressTimers.delete(id);
        this.update(id);
      }
    }
    await this.opts.worker.drain(30_000);
  }

  /** The deliverer for every `slack.*` kind. */
  deliverer(): Deliverer {
    return async (msg) => {
      try {
        return await this.deliver(msg.kind, msg.payload as Payload, msg);
      } catch (err) {
        return { ok: false, ...classifySlackError(err) };
      }
    };
  }

  private lane(runId: string): string {
    return `slack:run:${runId}`;
  }

  private queue(runId: string, kind: string, payload: Payload): void {
    this.opts.outbox.enqueue({
      destination: this.lane(runId),
      kind,
      payload,
      dedupeKey: `${kind}:${runId}:${randomUUID()}`,
    });
    this.opts.worker.wake();
  }

  private update(runId: string): void {
    this.lastUpdateAt.set(runId, this.opts.clock.now());
    const queued = this.updateQueued.get(runId);
    if (queued !== undefined && this.notYetTried(queued)) return;
    const { id } = this.opts.outbox.enqueue({
      destination: this.lane(runId),
      kind: 'slack.update',
      payload: { runId },
      dedupeKey: `slack.update:${runId}:${randomUUID()}`,
      coalesceKey: `slack.update:${runId}`,
    });
    this.updateQueued.set(runId, id);
    this.opts.worker.wake();
  }

  /**
   * Whether an outbox item still waits for its first attempt. Once an attempt has started (here or in
   * another process) it may render the run before the change at hand, so that change needs an update
   * of its own; a delivered, superseded or given-up item covers nothing more either.
   */
  private notYetTried(id: number): boolean {
    const item = this.opts.outbox.get(id);
    return (
      item !== undefined && item.attempts === 0 && item.sentAt === undefined && item.gaveUpAt === undefined
    );
  }

  private scheduleProgress(runId: string): void {
    if (this.progressTimers.has(runId)) return;
    const wait = Math.max(
      0,
      (this.lastUpdateAt.get(runId) ?? 0) + PROGRESS_INTERVAL_MS - this.opts.clock.now(),
    );
    const timer = setTimeout(() => {
      this.progressTimers.delete(runId);
      this.update(runId);
    }, wait);
    timer.unref();
    this.progressTimers.set(runId, timer);
  }

  private async deliver(
    kind: string,
    p: Payload,
    msg: { dedupeKey: string; attempts: number; createdAt: number },
  ): Promise<DeliveryResult> {
    if (kind === 'slack.dm') {
      // A user id as the channel posts to the bot's direct message with that person.
      const { user, text } = p as { user: string; text: string };
      return postMessageOnce(
        this.opts.client,
        { channel: user, ...finishMessage(text, [section(text)]) },
        msg,
      );
    }
    const runId = (p as { runId: string }).runId;
    // From here on a new change needs a new update: this one may render just before it.
    if (kind === 'slack.update') this.updateQueued.delete(runId);
    const view = this.opts.view(runId);
    if (!view) return { ok: true, result: { skipped: `run ${runId} is gone` } };
    if (kind === 'slack.runPost') return this.deliverRunPost(view, (p as { channel: string }).channel, msg);
    const run = view.run;
    if (!run.channel || !run.messageTs) return { ok: true, result: { skipped: 'the run has no message' } };
    if (kind === 'slack.update') {
      await this.opts.client.chat.update({
        channel: run.channel,
        ts: run.messageTs,
        ...renderRunMessage(view),
      });
      return { ok: true };
    }
    if (kind === 'slack.thread') {
      const { detail, mrkdwn, blocks } = p as { detail: ThreadDetail; mrkdwn?: boolean; blocks?: Block[] };
      const body = blocks ? finishMessage(detail.text, blocks) : this.detailMessage(detail, mrkdwn === true);
      return postMessageOnce(
        this.opts.client,
        { channel: run.channel, thread_ts: run.messageTs, ...body },
        msg,
      );
    }
    // A notice queued as data (by a process without Slack, core/outbox/run-event-queue.ts) is rendered now.
    const queued = p as { text?: string; notice?: TeamNotice };
    const text = queued.notice ? renderTeamNotice(queued.notice) : (queued.text ?? '');
    const team = finishMessage(text, [section(text)]);
    // In the team channel the notice is a thread reply broadcast to the channel; elsewhere a post.
    return run.channel === this.opts.teamChannel
      ? postMessageOnce(
          this.opts.client,
          { channel: run.channel, thread_ts: run.messageTs, reply_broadcast: true, ...team },
          msg,
        )
      : postMessageOnce(this.opts.client, { channel: this.opts.teamChannel, ...team }, msg);
  }

  private async deliverRunPost(
    view: RunView,
    channel: string,
    msg: { dedupeKey: string; attempts: number; createdAt: number },
  ): Promise<DeliveryResult> {
    // The first attempt was made by postRunMessage: look for it before posting again.
    const found = await findPostedByKey(this.opts.client, channel, undefined, msg.dedupeKey, {
      sinceMs: msg.createdAt,
    });
    const r: DeliveryResult = found
      ? { ok: true, result: { channel, ts: found, found: true } }
      : await postMessageOnce(
          this.opts.client,
          { channel, ...renderRunMessage(view) },
          { ...msg, attempts: 0 },
        );
    if (r.ok) {
      const posted = r.result as PostedResult;
      this.opts.remember(view.run.id, channel, posted.ts);
      this.opts.logger.info({ runId: view.run.id }, 'the run message was posted after a retry');
    }
    return r;
  }

  private detailMessage(detail: ThreadDetail, mrkdwn: boolean): SlackMessage {
    const title = detail.title ? `*${esc(detail.title)}*` : '';
    const body = detail.code
      ? undefined
      : mrkdwn
        ? detail.text
        : withMentions(esc(detail.text), detail.mentions);
    const blocks = detail.code
      ? [...(title ? [section(title)] : []), codeSection(detail.text)]
      : [section(truncate(`${title}${title && body ? '\n' : ''}${body ?? ''}`, 3000))];
    return finishMessage(`${detail.title}: ${detail.text}`.slice(0, 2900), blocks);
  }
}
