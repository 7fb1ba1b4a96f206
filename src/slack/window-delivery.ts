/**
 * Delivers a window's reminders (`slack.window`): the first is posted in the team channel and
 * becomes the window's thread; the later ones are replies in it (the start broadcast to the channel).
 * Posts carry the delivery metadata, so a lost answer is looked for before posting again.
 */
import type { DeliveryResult, PostedResult, SlackWebClient, WindowReminderData } from '../core/index.js';
import { classifySlackError, postMessageOnce } from '../core/index.js';
import { renderWindowReminder } from './renderers/window-reminder.js';

export interface WindowDeliveryOptions {
  readonly client: SlackWebClient;
  readonly teamChannel: string;
  /** Where the window's thread is, once its first reminder was posted. */
  readonly thread: (windowId: string) => { channel: string; ts: string } | null | undefined;
  readonly remember: (windowId: string, channel: string, ts: string) => void;
}

/** The deliverer of `slack.window` items. */
export function windowReminderDeliverer(opts: WindowDeliveryOptions) {
  return async (msg: {
    payload: unknown;
    dedupeKey: string;
    attempts: number;
    createdAt: number;
  }): Promise<DeliveryResult> => {
    const data = msg.payload as WindowReminderData;
    const thread = opts.thread(data.windowId);
    const message = renderWindowReminder(data);
    try {
      const r = await postMessageOnce(
        opts.client,
        thread
          ? {
              channel: thread.channel,
              thread_ts: thread.ts,
              reply_broadcast: data.kind === 'start',
              ...message,
            }
          : { channel: opts.teamChannel, ...message },
        msg,
      );
      if (r.ok && !thread) opts.remember(data.windowId, opts.teamChannel, (r.result as PostedResult).ts);
      return r;
    } catch (err) {
      return { ok: false, ...classifySlackError(err) };
    }
  };
}
