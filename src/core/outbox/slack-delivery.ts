/**
 * Slack posts that survive a lost answer. When chat.postMessage times out, or the bot dies before it
 * records the answer, the message may exist in Slack although the outbox does not know it. Retrying
 * blindly would post a second copy. So:
 *
 * 1. **Every chat.postMessage sent by the outbox carries message metadata**
 *    `{ event_type: 'drawbridge_delivery', event_payload: { key: <the item's dedupe key> } }`
 *    ({@link deliveryMetadata}; {@link postMessageOnce} adds it).
 * 2. Before a repeat attempt (`attempts > 0`), {@link findPostedByKey} looks for a message carrying that
 *    key among the recent messages of the thread (conversations.replies) or channel
 *    (conversations.history), with `include_all_metadata: true`. Found: the post is recorded as
 *    delivered with the ts Slack gave it; not found: it is posted.
 *
 * The look-up reads history, so the bot needs `channels:history` (public), `groups:history` (private)
 * and `im:history` (DMs). If it cannot read (a permanent error such as `missing_scope`) the post goes
 * out anyway: at most one extra copy, as before. If the look-up fails for a passing reason (a 5xx, a
 * timeout), the attempt fails and is retried later rather than risking a copy.
 */
import type { webApi } from '@slack/bolt';
import type { DeliveryResult } from './outbox-worker.js';
import type { SlackWebClient } from './slack-client.js';
import { classifySlackError } from './slack-errors.js';

/** The metadata event type that marks a message posted by the outbox. */
export const DELIVERY_EVENT_TYPE = 'drawbridge_delivery';

/** How far before the item was queued the look-up starts, for clock skew between the bot and Slack. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The metadata every outbox chat.postMessage carries. */
export function deliveryMetadata(dedupeKey: string): { event_type: string; event_payload: { key: string } } {
  return { event_type: DELIVERY_EVENT_TYPE, event_payload: { key: dedupeKey } };
}

export interface FindPostedOptions {
  /** When the item was queued (bot clock, ms): older messages are not read. */
  sinceMs?: number;
  /** At most this many messages are read. Default 200. */
  maxMessages?: number;
}

interface MessageLike {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

function carriesKey(m: MessageLike, dedupeKey: string): boolean {
  return m.metadata?.event_type === DELIVERY_EVENT_TYPE && m.metadata.event_payload?.key === dedupeKey;
}

/** Slack's `oldest` parameter: seconds with six decimals. */
function slackTs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

/**
 * The ts of a message in `channel` (in the thread `threadTs` when given) that carries the delivery
 * metadata for `dedupeKey`, or undefined. Reads the recent messages only (see {@link FindPostedOptions});
 * throws what the WebClient throws.
 */
export async function findPostedByKey(
  client: SlackWebClient,
  channel: string,
  threadTs: string | undefined,
  dedupeKey: string,
  options: FindPostedOptions = {},
): Promise<string | undefined> {
  const max = Math.max(1, options.maxMessages ?? 200);
  const oldest = options.sinceMs === undefined ? undefined : slackTs(options.sinceMs - CLOCK_SKEW_MS);
  let cursor: string | undefined;
  let read = 0;
  do {
    const limit = Math.min(threadTs === undefined ? 100 : 200, max - read);
    const common = {
      channel,
      include_all_metadata: true,
      limit,
      ...(oldest === undefined ? {} : { oldest }),
      ...(cursor === undefined ? {} : { cursor }),
    };
    const page =
      threadTs === undefined
        ? await client.conversations.history(common)
        : await client.conversations.replies({ ...common, ts: threadTs });
    const messages = (page.messages ?? []) as MessageLike[];
    const found = messages.find((m) => carriesKey(m, dedupeKey));
    if (found?.ts !== undefined) return found.ts;
    read += messages.length;
    const next = page.response_metadata?.next_cursor;
    cursor = page.has_more === true && next ? next : undefined;
  } while (cursor !== undefined && read < max);
  return undefined;
}

/** What the outbox records for a delivered post. */
export interface PostedResult {
  channel: string;
  ts: string;
  /** True when an earlier attempt had posted it and the look-up found it. */
  found?: true;
  /** Why the look-up before a repeat attempt could not be done (the post went out anyway). */
  lookupError?: string;
}

/**
 * Posts `message` with the delivery metadata of `delivery.dedupeKey`, unless an earlier attempt
 * (`delivery.attempts > 0`) already posted it. Never throws: failures come back classified.
 */
export async function postMessageOnce(
  client: SlackWebClient,
  message: webApi.ChatPostMessageArguments,
  delivery: { dedupeKey: string; attempts: number; createdAt: number },
): Promise<DeliveryResult> {
  const channel = message.channel;
  const threadTs = typeof message.thread_ts === 'string' ? message.thread_ts : undefined;
  let lookupError: string | undefined;
  if (delivery.attempts > 0) {
    try {
      const ts = await findPostedByKey(client, channel, threadTs, delivery.dedupeKey, {
        sinceMs: delivery.createdAt,
      });
      if (ts !== undefined) return { ok: true, result: { channel, ts, found: true } satisfies PostedResult };
    } catch (err) {
      const failure = classifySlackError(err);
      if (failure.retryable) return { ok: false, ...failure };
      lookupError = failure.error;
    }
  }
  try {
    const res = await client.chat.postMessage({ ...message, metadata: deliveryMetadata(delivery.dedupeKey) });
    const result: PostedResult = { channel: res.channel ?? channel, ts: res.ts ?? '' };
    if (lookupError !== undefined) result.lookupError = lookupError;
    return { ok: true, result };
  } catch (err) {
    return { ok: false, ...classifySlackError(err) };
  }
}
