/**
 * chat.postMessage, chat.update, chat.postEphemeral, chat.getPermalink.
 */
import { botMessage, SlackApiError, wireMessage, type EmulatorContext } from './context.js';
import { readContent } from './message-content.js';
import type { Message, MessageMetadata } from './types.js';

type Args = Record<string, unknown>;

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The channel id named by `args[key]`, or `channel_not_found`. */
export function channelArg(ctx: EmulatorContext, args: Args, key = 'channel'): string {
  const ref = str(args, key);
  const id = ref === undefined ? undefined : ctx.store.resolveChannel(ref);
  if (id === undefined) throw new SlackApiError('channel_not_found');
  return id;
}

/**
 * The `metadata` argument: `{ event_type, event_payload }` with a word-like event type and an object
 * payload, or `invalid_metadata_format`. Undefined when absent.
 */
export function metadataArg(args: Args): MessageMetadata | undefined {
  const raw = args.metadata;
  if (raw === undefined || raw === '') return undefined;
  const m = raw as { event_type?: unknown; event_payload?: unknown };
  const payload = m.event_payload;
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof m.event_type !== 'string' ||
    !/^[A-Za-z0-9_.-]{1,255}$/.test(m.event_type) ||
    typeof payload !== 'object' ||
    payload === null ||
    Array.isArray(payload)
  ) {
    throw new SlackApiError('invalid_metadata_format');
  }
  return { event_type: m.event_type, event_payload: payload as Record<string, unknown> };
}

export function postMessage(ctx: EmulatorContext, args: Args): Args {
  const channel = channelArg(ctx, args);
  const content = readContent(args, 40000);
  const metadata = metadataArg(args);
  const threadTs = str(args, 'thread_ts');
  if (threadTs !== undefined && ctx.store.findMessage(channel, threadTs) === undefined) {
    throw new SlackApiError('thread_not_found');
  }
  const m = botMessage(
    ctx,
    channel,
    {
      text: content.text ?? '',
      ...(content.blocks ? { blocks: content.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    'chat.postMessage',
  );
  if (metadata !== undefined) m.metadata = metadata;
  ctx.store.addMessage(m);
  return { ok: true, channel, ts: m.ts, message: wireMessage(ctx, m, { metadata: true }) };
}

/** Replaces text/blocks of a stored message, keeping the previous version in `history`. */
export function applyUpdate(
  m: Message,
  content: { text?: string | undefined; blocks?: Record<string, unknown>[] | undefined },
  by: string,
  ts: string,
): void {
  m.history = [...(m.history ?? []), { text: m.text, ...(m.blocks ? { blocks: m.blocks } : {}) }];
  if (content.text !== undefined) m.text = content.text;
  if (content.blocks !== undefined) m.blocks = content.blocks;
  m.edited = { user: by, ts };
}

export function update(ctx: EmulatorContext, args: Args): Args {
  const channel = channelArg(ctx, args);
  const ts = str(args, 'ts');
  const m = ts === undefined ? undefined : ctx.store.findMessage(channel, ts);
  if (m === undefined) throw new SlackApiError('message_not_found');
  if (m.bot_id !== ctx.opts.botId) throw new SlackApiError('cant_update_message');
  const content = readContent(args, 4000);
  const metadata = metadataArg(args);
  applyUpdate(m, content, ctx.opts.botUserId, ctx.ids.ts());
  if (metadata !== undefined) m.metadata = metadata;
  ctx.store.changed();
  return { ok: true, channel, ts: m.ts, text: m.text, message: wireMessage(ctx, m, { metadata: true }) };
}

export function postEphemeral(ctx: EmulatorContext, args: Args): Args {
  const channel = channelArg(ctx, args);
  const user = str(args, 'user');
  if (user === undefined || !ctx.store.users.has(user)) throw new SlackApiError('user_not_in_channel');
  const content = readContent(args, 40000);
  const threadTs = str(args, 'thread_ts');
  const m = botMessage(
    ctx,
    channel,
    {
      text: content.text ?? '',
      ...(content.blocks ? { blocks: content.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    'chat.postEphemeral',
  );
  m.ephemeral_to = user;
  ctx.store.addEphemeral(m);
  return { ok: true, message_ts: m.ts };
}

export function getPermalink(ctx: EmulatorContext, args: Args): Args {
  const channel = channelArg(ctx, args);
  const ts = str(args, 'message_ts');
  const m = ts === undefined ? undefined : ctx.store.findMessage(channel, ts);
  if (m === undefined) throw new SlackApiError('message_not_found');
  let permalink = `https://${ctx.opts.teamDomain}.slack.com/archives/${channel}/p${m.ts.replace('.', '')}`;
  if (m.thread_ts !== undefined && m.thread_ts !== m.ts)
    permalink += `?thread_ts=${m.thread_ts}&cid=${channel}`;
  return { ok: true, channel, permalink };
}
