/**
 * Shared state handed to every part of the emulator, and the `ok:false` error type of Web API methods.
 */
import type { Clock } from '../../../src/base/clock.js';
import type { IdFactory } from './ids.js';
import type { Store } from './store.js';
import type { EmulatedChannel, EmulatedUser, Message } from './types.js';

/** Options with every default filled in. */
export interface ResolvedOptions {
  signingSecret: string;
  botToken: string;
  appToken: string | undefined;
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  users: EmulatedUser[];
  usergroups: Record<string, string[]>;
  channels: EmulatedChannel[];
  scopes: string[] | undefined;
  ackTimeoutMs: number;
  clock: Clock;
}

export interface EmulatorContext {
  opts: ResolvedOptions;
  store: Store;
  ids: IdFactory;
  /** `http://127.0.0.1:PORT`, known once the server listens. */
  baseUrl: string;
  /** Issues a single-use Socket Mode ticket. */
  issueTicket(): string;
  /** Answers held back by a `delay` fault, cleared on close. */
  delayedAnswers: Set<ReturnType<typeof setTimeout>>;
}

/** Thrown by a Web API method to answer `{ok:false, error, ...extra}`. */
export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

/**
 * The message object as Slack returns it in API answers and interaction payloads. Its `metadata` is
 * included only when asked for (chat.* answers, history with `include_all_metadata`).
 */
export function wireMessage(
  ctx: EmulatorContext,
  m: Message,
  opts: { metadata?: boolean } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: 'message',
    text: m.text,
    user: m.user,
    ts: m.ts,
    team: ctx.opts.teamId,
  };
  if (m.subtype !== undefined) out.subtype = m.subtype;
  if (m.bot_id !== undefined) Object.assign(out, { bot_id: m.bot_id, app_id: m.app_id });
  if (m.blocks !== undefined) out.blocks = m.blocks;
  if (m.thread_ts !== undefined) out.thread_ts = m.thread_ts;
  if (m.edited !== undefined) out.edited = m.edited;
  if (m.files !== undefined) out.files = m.files;
  if (opts.metadata === true && m.metadata !== undefined) out.metadata = m.metadata;
  return out;
}

/** A new message authored by the bot. */
export function botMessage(
  ctx: EmulatorContext,
  channel: string,
  content: { text: string; blocks?: Record<string, unknown>[]; thread_ts?: string },
  source: string,
): Message {
  const m: Message = {
    type: 'message',
    channel,
    ts: ctx.ids.ts(),
    text: content.text,
    user: ctx.opts.botUserId,
    bot_id: ctx.opts.botId,
    app_id: ctx.opts.appId,
    subtype: 'bot_message',
    source,
  };
  if (content.blocks !== undefined) m.blocks = content.blocks;
  if (content.thread_ts !== undefined) m.thread_ts = content.thread_ts;
  return m;
}
