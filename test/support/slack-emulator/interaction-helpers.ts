/**
 * Helpers shared by the user actions: who acts where, trigger ids, what the user is shown.
 */
import { isObj } from './block-kit.js';
import type { EmulatorContext } from './context.js';
import type { Delivery, Message } from './types.js';

/** Deprecated verification token Slack still puts in payloads (Bolt ignores it). */
export const VERIFICATION_TOKEN = 'emuVerificationTok3n';

/** Sends a payload to the app in the current mode. */
export interface Transport {
  deliver(
    kind: 'command' | 'interactive' | 'event',
    payload: Record<string, unknown>,
    acceptsResponsePayload: boolean,
  ): Promise<Delivery>;
}

export function requireUser(ctx: EmulatorContext, user: string): { id: string; name: string } {
  const u = ctx.store.users.get(user);
  if (u === undefined)
    throw new Error(`Slack emulator: unknown user ${user} (add it to EmulatorOptions.users)`);
  return u;
}

export function requireChannel(ctx: EmulatorContext, channel: string): { id: string; name: string } {
  const id = ctx.store.resolveChannel(channel);
  const c = id === undefined ? undefined : ctx.store.channels.get(id);
  if (c === undefined)
    throw new Error(`Slack emulator: unknown channel ${channel} (add it to EmulatorOptions.channels)`);
  return c;
}

export function issueTrigger(ctx: EmulatorContext, user: string): string {
  const id = ctx.ids.triggerId();
  ctx.store.triggers.set(id, { user, issuedAt: ctx.opts.clock.now(), used: false });
  return id;
}

export function userObject(ctx: EmulatorContext, u: { id: string; name: string }): Record<string, unknown> {
  return { id: u.id, username: u.name, name: u.name, team_id: ctx.opts.teamId };
}

/** Records what Slack shows the user when the app fails to ack (e.g. `operation_timeout`). */
export function slackError(
  ctx: EmulatorContext,
  channel: string,
  user: string,
  what: string,
  d: Delivery,
): void {
  const error = d.timedOut ? 'operation_timeout' : `http_service_error (${d.status})`;
  const m: Message = {
    type: 'message',
    channel,
    ts: ctx.ids.ts(),
    text: `${what} failed with the error "${error}"`,
    user: 'USLACKBOT',
    ephemeral_to: user,
    source: 'slack_error',
  };
  ctx.store.addEphemeral(m);
}

/** The clicked element and its block, found in what the user sees. */
export function findButton(
  m: Message,
  a: { actionId: string; blockId?: string; value?: string },
): { block: Record<string, unknown>; el: Record<string, unknown> } {
  const shown: string[] = [];
  for (const block of m.blocks ?? []) {
    const els =
      block.type === 'actions' && Array.isArray(block.elements)
        ? block.elements
        : block.type === 'section'
          ? [block.accessory]
          : [];
    for (const el of els) {
      if (!isObj(el) || el.type !== 'button') continue;
      shown.push(
        `${String(block.block_id)}/${String(el.action_id)}${el.value === undefined ? '' : `=${String(el.value)}`}`,
      );
      if (
        el.action_id === a.actionId &&
        (a.blockId === undefined || block.block_id === a.blockId) &&
        (a.value === undefined || el.value === a.value)
      ) {
        return { block, el };
      }
    }
  }
  throw new Error(
    `Slack emulator: message ${m.ts} shows no button ${a.blockId ?? '*'}/${a.actionId}${a.value === undefined ? '' : `=${a.value}`} (buttons: ${shown.join(', ') || 'none'})`,
  );
}
