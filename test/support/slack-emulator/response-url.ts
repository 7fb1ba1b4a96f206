/**
 * response_url endpoints hosted by the emulator (`/hooks/commands/...`, `/hooks/actions/...`).
 * A reply is ephemeral by default, `in_channel` posts to the channel, `replace_original` /
 * `delete_original` change the message the action came from. 5 uses within 30 minutes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { botMessage, SlackApiError, type EmulatorContext } from './context.js';
import { applyUpdate } from './methods-chat.js';
import { readContent } from './message-content.js';
import { readRaw } from './request-body.js';
import type { ResponseUrl } from './store.js';
import type { Message } from './types.js';

const MAX_USES = 5;
const TTL_MS = 30 * 60 * 1000;

/** Mints a response_url for a command or an action and remembers its context. */
export function mintResponseUrl(ctx: EmulatorContext, rec: Omit<ResponseUrl, 'uses' | 'issuedAt'>): string {
  const secret = ctx.ids.secret();
  ctx.store.responseUrls.set(secret, { ...rec, uses: 0, issuedAt: ctx.opts.clock.now() });
  const hook = ctx.ids.triggerId().split('.')[0] ?? '0';
  return `${ctx.baseUrl}/hooks/${rec.kind === 'command' ? 'commands' : 'actions'}/${ctx.opts.teamId}/${hook}/${secret}`;
}

function original(ctx: EmulatorContext, rec: ResponseUrl): Message | undefined {
  if (rec.messageTs === undefined) return undefined;
  if (rec.ephemeral)
    return ctx.store.ephemeralList.find(
      (m) => m.ts === rec.messageTs && m.channel === rec.channel && !m.deleted,
    );
  return ctx.store.findMessage(rec.channel, rec.messageTs);
}

/**
 * Applies a message payload sent to a response_url (or returned as a slash command ack) on behalf
 * of the bot. `source` tags the stored message.
 */
export function applyResponse(
  ctx: EmulatorContext,
  rec: ResponseUrl,
  payload: Record<string, unknown>,
  source: string,
): void {
  const orig = original(ctx, rec);
  if (payload.delete_original === true || payload.delete_original === 'true') {
    if (orig === undefined) throw new SlackApiError('message_not_found');
    orig.deleted = true;
    ctx.store.changed();
    return;
  }
  const content = readContent(payload, 40000);
  if ((payload.replace_original === true || payload.replace_original === 'true') && orig !== undefined) {
    applyUpdate(
      orig,
      { text: content.text ?? '', blocks: content.blocks ?? [] },
      ctx.opts.botUserId,
      ctx.ids.ts(),
    );
    ctx.store.changed();
    return;
  }
  const threadTs = typeof payload.thread_ts === 'string' ? payload.thread_ts : undefined;
  const m = botMessage(
    ctx,
    rec.channel,
    {
      text: content.text ?? '',
      ...(content.blocks ? { blocks: content.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    source,
  );
  if (payload.response_type === 'in_channel') {
    ctx.store.addMessage(m);
  } else {
    m.ephemeral_to = rec.user;
    ctx.store.addEphemeral(m);
  }
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Handles a POST to a response_url. */
export async function handleResponseUrl(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  secret: string,
): Promise<void> {
  const raw = (await readRaw(req)).toString('utf8');
  const rec = ctx.store.responseUrls.get(secret);
  const at = ctx.opts.clock.now();
  let payload: Record<string, unknown> = {};
  let status = 200;
  let body: Record<string, unknown> = { ok: true };
  try {
    payload = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    status = 400;
    body = { ok: false, error: 'invalid_payload' };
  }
  if (status === 200) {
    if (rec === undefined) [status, body] = [404, { ok: false, error: 'invalid_url' }];
    else if (rec.uses >= MAX_USES || at - rec.issuedAt > TTL_MS)
      [status, body] = [404, { ok: false, error: 'expired_url' }];
    else {
      rec.uses += 1;
      try {
        applyResponse(ctx, rec, payload, 'response_url');
      } catch (err) {
        if (!(err instanceof SlackApiError)) throw err;
        [status, body] = [400, { ok: false, error: err.error, ...err.extra }];
      }
    }
  }
  ctx.store.recordCall({
    method: 'response_url',
    args: payload,
    token: undefined,
    at,
    response: body,
    status,
  });
  reply(res, status, body);
}
