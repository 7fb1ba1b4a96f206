/**
 * conversations.history, conversations.replies and conversations.open.
 *
 * History is newest first and holds top-level messages only (thread parents carry `reply_count` and
 * `latest_reply`); replies are the parent first, then its replies oldest first. Both take `oldest`,
 * `latest`, `inclusive`, `limit` and `cursor` (an opaque `response_metadata.next_cursor`, with
 * `has_more`), and return each message's `metadata` only with `include_all_metadata`.
 */
import { channelArg } from './methods-chat.js';
import { SlackApiError, wireMessage, type EmulatorContext } from './context.js';
import type { Message } from './types.js';

type Args = Record<string, unknown>;

/** A Slack ts (`1767225600.123456`, or whole seconds) as integer microseconds, for exact comparison. */
function micros(ts: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{0,6}))?$/.exec(ts.trim());
  if (!m) return undefined;
  return BigInt(m[1] as string) * 1_000_000n + BigInt((m[2] ?? '').padEnd(6, '0') || '0');
}

function flag(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

interface Timeline {
  limit: number;
  offset: number;
  withMetadata: boolean;
  /** Whether a message ts lies in the `oldest` .. `latest` window. */
  inWindow(ts: string): boolean;
}

function timelineArgs(args: Args, defaultLimit: number, maxLimit: number): Timeline {
  const rawLimit = Number(args.limit);
  const limit =
    Number.isFinite(rawLimit) && rawLimit > 0 ? Math.min(Math.floor(rawLimit), maxLimit) : defaultLimit;
  let offset = 0;
  if (typeof args.cursor === 'string' && args.cursor !== '') {
    const decoded = /^next_offset:(\d+)$/.exec(Buffer.from(args.cursor, 'base64').toString('utf8'));
    if (!decoded) throw new SlackApiError('invalid_cursor');
    offset = Number(decoded[1]);
  }
  const bound = (key: string): bigint | undefined => {
    const v = args[key];
    if (v === undefined || v === '') return undefined;
    const t = micros(String(v));
    if (t === undefined) throw new SlackApiError('invalid_ts_' + key);
    return t;
  };
  const oldest = bound('oldest');
  const latest = bound('latest');
  const inclusive = flag(args.inclusive);
  return {
    limit,
    offset,
    withMetadata: flag(args.include_all_metadata),
    inWindow: (ts) => {
      const t = micros(ts) ?? 0n;
      if (oldest !== undefined && (inclusive ? t < oldest : t <= oldest)) return false;
      if (latest !== undefined && (inclusive ? t > latest : t >= latest)) return false;
      return true;
    },
  };
}

function page(items: Record<string, unknown>[], t: Timeline): Args {
  const slice = items.slice(t.offset, t.offset + t.limit);
  const hasMore = t.offset + t.limit < items.length;
  const nextCursor = hasMore ? Buffer.from(`next_offset:${t.offset + t.limit}`).toString('base64') : '';
  return { ok: true, messages: slice, has_more: hasMore, response_metadata: { next_cursor: nextCursor } };
}

function live(ctx: EmulatorContext, channel: string): Message[] {
  return (ctx.store.messages.get(channel) ?? []).filter((m) => !m.deleted);
}

function repliesOf(all: Message[], parentTs: string): Message[] {
  return all
    .filter((m) => m.thread_ts === parentTs && m.ts !== parentTs)
    .sort((a, b) => a.ts.localeCompare(b.ts));
}

export function conversationsHistory(ctx: EmulatorContext, args: Args): Args {
  const channel = channelArg(ctx, args);
  const t = timelineArgs(args, 100, 999);
  const all = live(ctx, channel);
  const top = all
    .filter((m) => (m.thread_ts === undefined || m.thread_ts === m.ts) && t.inWindow(m.ts))
    .sort((a, b) => b.ts.localeCompare(a.ts));
  const messages = top.map((m) => {
    const out = wireMessage(ctx, m, { metadata: t.withMetadata });
    const replies = repliesOf(all, m.ts);
    if (replies.length > 0) {
      Object.assign(out, {
        thread_ts: m.ts,
        reply_count: replies.length,
        reply_users_count: new Set(replies.map((r) => r.user)).size,
        latest_reply: replies.at(-1)?.ts,
        reply_users: [...new Set(replies.map((r) => r.user))],
      });
    }
    return out;
  });
  return { ...page(messages, t), pin_count: 0 };
}

export function conversationsReplies(ctx: EmulatorContext, args: Args): Args {
  const channel = channelArg(ctx, args);
  const ts = typeof args.ts === 'string' ? args.ts : undefined;
  if (ts === undefined || ts === '') {
    throw new SlackApiError('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] missing required field: ts'] },
    });
  }
  const t = timelineArgs(args, 1000, 1000);
  const target = ctx.store.findMessage(channel, ts);
  const parent = target && ctx.store.findMessage(channel, target.thread_ts ?? target.ts);
  if (parent === undefined) throw new SlackApiError('thread_not_found');
  const all = live(ctx, channel);
  const replies = repliesOf(all, parent.ts).filter((m) => t.inWindow(m.ts));
  const parentOut = wireMessage(ctx, parent, { metadata: t.withMetadata });
  if (replies.length > 0 || parent.thread_ts !== undefined) {
    const allReplies = repliesOf(all, parent.ts);
    Object.assign(parentOut, {
      thread_ts: parent.ts,
      reply_count: allReplies.length,
      latest_reply: allReplies.at(-1)?.ts ?? parent.ts,
    });
  }
  const items = [parentOut, ...replies.map((m) => wireMessage(ctx, m, { metadata: t.withMetadata }))];
  return page(items, t);
}

/** Opens (or finds) the DM with one user; `channel` re-opens a known conversation. */
export function conversationsOpen(ctx: EmulatorContext, args: Args): Args {
  if (typeof args.channel === 'string' && args.channel !== '') {
    return { ok: true, channel: { id: channelArg(ctx, args) } };
  }
  const users = typeof args.users === 'string' ? args.users.split(',').map((u) => u.trim()) : [];
  const ids = users.filter((u) => u !== '');
  if (ids.length === 0) throw new SlackApiError('users_list_not_supplied');
  if (ids.length > 1) throw new SlackApiError('not_supported', { detail: 'the emulator opens 1:1 DMs only' });
  const user = ids[0] as string;
  if (!ctx.store.users.has(user)) throw new SlackApiError('user_not_found');
  const dm = ctx.store.resolveChannel(user) as string;
  return { ok: true, channel: { id: dm } };
}
