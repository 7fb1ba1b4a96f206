/**
 * User actions: a slash command, a button click, a modal submission. Each builds the payload Slack
 * would send (slack-wire.md section 2), hands it to the active transport and applies what the ack says.
 */
import { isObj } from './block-kit.js';
import { SlackApiError, wireMessage, type EmulatorContext } from './context.js';
import { applyViewAck } from './methods-views.js';
import { applyResponse, mintResponseUrl } from './response-url.js';
import type { Delivery, Message } from './types.js';
import { buildStateValues } from './view-state.js';
import {
  findButton,
  issueTrigger,
  requireChannel,
  requireUser,
  slackError,
  userObject,
  VERIFICATION_TOKEN,
  type Transport,
} from './interaction-helpers.js';

export type { Transport } from './interaction-helpers.js';

export async function slashCommand(
  ctx: EmulatorContext,
  t: Transport,
  a: { user: string; channel: string; text: string; command?: string },
): Promise<Delivery> {
  const u = requireUser(ctx, a.user);
  const c = requireChannel(ctx, a.channel);
  const command = a.command ?? '/migrate';
  const rec = { kind: 'command' as const, user: u.id, channel: c.id, ephemeral: false };
  const payload: Record<string, string> = {
    token: VERIFICATION_TOKEN,
    team_id: ctx.opts.teamId,
    team_domain: ctx.opts.teamDomain,
    channel_id: c.id,
    channel_name: c.name,
    user_id: u.id,
    user_name: u.name,
    command,
    text: a.text,
    api_app_id: ctx.opts.appId,
    is_enterprise_install: 'false',
    response_url: mintResponseUrl(ctx, rec),
    trigger_id: issueTrigger(ctx, u.id),
  };
  const d = await t.deliver('command', payload, true);
  if (d.status !== 200) {
    slackError(ctx, c.id, u.id, command, d);
    return d;
  }
  if (d.body === '') return d;
  const reply = isObj(d.json) ? d.json : { text: d.body };
  if (reply.response_type === 'in_channel') {
    const echo: Message = {
      type: 'message',
      channel: c.id,
      ts: ctx.ids.ts(),
      text: `${command} ${a.text}`.trim(),
      user: u.id,
      source: 'command_echo',
    };
    ctx.store.addMessage(echo);
  }
  try {
    applyResponse(ctx, { ...rec, uses: 0, issuedAt: 0 }, reply, 'ack');
  } catch (err) {
    if (!(err instanceof SlackApiError)) throw err;
    ctx.store.recordCall({
      method: 'command_ack',
      args: reply,
      token: undefined,
      at: ctx.opts.clock.now(),
      response: { ok: false, error: err.error, ...err.extra },
      status: 200,
    });
  }
  return d;
}

export async function clickButton(
  ctx: EmulatorContext,
  t: Transport,
  a: { user: string; channel: string; messageTs: string; actionId: string; value?: string; blockId?: string },
): Promise<Delivery> {
  const u = requireUser(ctx, a.user);
  const c = requireChannel(ctx, a.channel);
  const inChannel = ctx.store.findMessage(c.id, a.messageTs);
  const eph = ctx.store.ephemeralList.find(
    (m) => m.channel === c.id && m.ts === a.messageTs && m.ephemeral_to === u.id && !m.deleted,
  );
  const m = inChannel ?? eph;
  if (m === undefined)
    throw new Error(`Slack emulator: user ${u.id} sees no message ${a.messageTs} in ${c.id}`);
  const { block, el } = findButton(m, a);
  const ephemeral = inChannel === undefined;
  const action: Record<string, unknown> = {
    type: 'button',
    action_id: el.action_id,
    block_id: block.block_id,
    text: el.text,
    action_ts: ctx.ids.ts(),
  };
  if (el.value !== undefined) action.value = el.value;
  if (el.style !== undefined) action.style = el.style;
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: userObject(ctx, u),
    api_app_id: ctx.opts.appId,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: m.ts, channel_id: c.id, is_ephemeral: ephemeral },
    trigger_id: issueTrigger(ctx, u.id),
    team: { id: ctx.opts.teamId, domain: ctx.opts.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: c.id, name: c.name },
    ...(ephemeral ? {} : { message: wireMessage(ctx, m) }),
    state: { values: buildStateValues(m.blocks) },
    response_url: mintResponseUrl(ctx, {
      kind: 'action',
      user: u.id,
      channel: c.id,
      messageTs: m.ts,
      ephemeral,
    }),
    actions: [action],
  };
  return t.deliver('interactive', payload, false);
}

/** A click on a button of a view (the Home tab or a modal): no channel, no response_url. */
export async function clickViewButton(
  ctx: EmulatorContext,
  t: Transport,
  a: { user: string; viewId: string; actionId: string; value?: string; blockId?: string },
): Promise<Delivery> {
  const u = requireUser(ctx, a.user);
  const v = ctx.store.views.get(a.viewId);
  if (v === undefined || !v.open) throw new Error(`Slack emulator: view ${a.viewId} is not open`);
  if (v.user !== u.id) throw new Error(`Slack emulator: view ${a.viewId} belongs to ${v.user}, not ${u.id}`);
  const blocks = (Array.isArray(v.view.blocks) ? v.view.blocks : []) as Record<string, unknown>[];
  const { block, el } = findButton({ ts: v.id, blocks } as Message, a);
  const action: Record<string, unknown> = {
    type: 'button',
    action_id: el.action_id,
    block_id: block.block_id,
    text: el.text,
    action_ts: ctx.ids.ts(),
  };
  if (el.value !== undefined) action.value = el.value;
  if (el.style !== undefined) action.style = el.style;
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: userObject(ctx, u),
    api_app_id: ctx.opts.appId,
    token: VERIFICATION_TOKEN,
    container: { type: 'view', view_id: v.id },
    trigger_id: issueTrigger(ctx, u.id),
    team: { id: ctx.opts.teamId, domain: ctx.opts.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    view: { ...v.view, state: { values: buildStateValues(blocks) } },
    actions: [action],
  };
  return t.deliver('interactive', payload, false);
}

export async function submitView(
  ctx: EmulatorContext,
  t: Transport,
  a: { user: string; viewId: string; values: Record<string, Record<string, unknown>> },
): Promise<Delivery> {
  const u = requireUser(ctx, a.user);
  const v = ctx.store.views.get(a.viewId);
  if (v === undefined || !v.open) throw new Error(`Slack emulator: view ${a.viewId} is not open`);
  if (v.user !== u.id)
    throw new Error(`Slack emulator: view ${a.viewId} was opened for ${v.user}, not ${u.id}`);
  if (v.view.submit === undefined) throw new Error(`Slack emulator: view ${a.viewId} has no submit button`);
  const view = { ...v.view, state: { values: buildStateValues(v.view.blocks, a.values) } };
  const payload: Record<string, unknown> = {
    type: 'view_submission',
    team: { id: ctx.opts.teamId, domain: ctx.opts.teamDomain },
    user: userObject(ctx, u),
    api_app_id: ctx.opts.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: issueTrigger(ctx, u.id),
    view,
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  };
  const d = await t.deliver('interactive', payload, true);
  if (d.status === 200) applyViewAck(ctx, v, d.json ?? {});
  return d;
}

/**
 * An Events API delivery (e.g. `app_mention`). A `message` / `app_mention` event with a channel is
 * also stored in the transcript as the member's message (it gets a `ts` if it has none).
 */
export function sendEvent(
  ctx: EmulatorContext,
  t: Transport,
  input: Record<string, unknown>,
): Promise<Delivery> {
  const o = ctx.opts;
  const event = { ...input };
  if (typeof event.ts !== 'string') event.ts = ctx.ids.ts();
  if (typeof event.event_ts !== 'string') event.event_ts = event.ts;
  const channel = typeof event.channel === 'string' ? ctx.store.resolveChannel(event.channel) : undefined;
  if ((event.type === 'message' || event.type === 'app_mention') && channel !== undefined) {
    const text = typeof event.text === 'string' ? event.text : '';
    ctx.store.addMessage({
      type: 'message',
      channel,
      ts: String(event.ts),
      text,
      user: String(event.user),
      source: 'user',
    });
  }
  const payload = {
    token: VERIFICATION_TOKEN,
    team_id: o.teamId,
    api_app_id: o.appId,
    event,
    type: 'event_callback',
    event_id: ctx.ids.next('Ev'),
    event_time: Math.floor(o.clock.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: o.teamId,
        user_id: o.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
  };
  return t.deliver('event', payload, false);
}
