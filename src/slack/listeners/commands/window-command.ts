/**
 * `/migrate window …`: schedule, list and cancel maintenance windows, or (alone) open the modal.
 * A start typed without an offset is read in the requester's Slack time zone (users.info).
 */
import type { RespondFn } from '@slack/bolt';
import { unknownEnvironment } from '../../../core/index.js';
import type { WindowCommand } from '../../parse-migrate-command.js';
import { renderRefusal } from '../../renderers/refusal-message.js';
import { windowModal } from '../../renderers/window-modal.js';
import {
  renderWindowCancelled,
  renderWindowList,
  renderWindowScheduled,
} from '../../renderers/window-message.js';
import type { ListenerContext } from '../context.js';
import { userTimeZone, type UsersInfoClient } from '../user-time-zone.js';

/** The Web API calls these commands make. */
export interface WindowClient extends UsersInfoClient {
  readonly views: {
    open(args: { trigger_id: string; view: ReturnType<typeof windowModal> }): Promise<unknown>;
  };
}

export interface WindowCommandInput {
  readonly user: string;
  readonly channel: string;
  readonly triggerId: string;
  readonly client: WindowClient;
}

export async function windowCommand(
  ctx: ListenerContext,
  cmd: WindowCommand,
  input: WindowCommandInput,
  respond: RespondFn,
): Promise<string> {
  switch (cmd.kind) {
    case 'window_modal': {
      const tz = await userTimeZone(input.client, input.user);
      await input.client.views.open({
        trigger_id: input.triggerId,
        view: windowModal({
          environments: ctx.deps.config.environmentNames,
          channel: input.channel,
          timeZone: tz.timeZone,
        }),
      });
      return 'modal_opened';
    }
    case 'window_schedule': {
      const tz = await userTimeZone(input.client, input.user);
      const result = await ctx.windows.schedule({
        environment: cmd.environment,
        start: cmd.start,
        duration: cmd.duration,
        ...(cmd.title ? { title: cmd.title } : {}),
        actor: input.user,
        timeZone: tz.timeZone,
      });
      if (result.kind === 'refusal') {
        await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
        return result.code;
      }
      await respond({ response_type: 'in_channel', ...renderWindowScheduled(result) });
      // The requester alone is told how a local start (or an unusual one) was read.
      if (result.note !== undefined || !/T/i.test(cmd.start))
        await respond({ response_type: 'ephemeral', ...renderWindowScheduled(result, tz) });
      return 'scheduled';
    }
    case 'window_list': {
      const unknown = cmd.environment ? unknownEnvironment(ctx.deps, cmd.environment) : undefined;
      if (unknown) {
        await respond({ response_type: 'ephemeral', ...renderRefusal(unknown) });
        return unknown.code;
      }
      const listings = ctx.windows.list(cmd.environment);
      await respond({ response_type: 'ephemeral', ...renderWindowList(listings, cmd.environment) });
      return `${listings.length} windows`;
    }
    case 'window_cancel': {
      const result = await ctx.windows.cancel(cmd.windowId, input.user);
      if (result.kind === 'refusal') {
        await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
        return result.code;
      }
      await respond({ response_type: 'in_channel', ...renderWindowCancelled(result, input.user) });
      return 'cancelled';
    }
  }
}
