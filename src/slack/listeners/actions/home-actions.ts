/**
 * The Home tab's Plan and Deploy buttons: the same flows as `/migrate plan <env>` and
 * `/migrate deploy <env>` (planCommand, deployCommand). A Home action has no response_url, so the
 * answers go to the person as an ephemeral in the team channel (a direct message when the bot cannot
 * post there); a requested deploy's run message is posted in the team channel for approval.
 */
import type { App, BlockButtonAction, RespondArguments, RespondFn } from '@slack/bolt';
import { describeError } from '../../../base/errors.js';
import { HOME_ACTIONS } from '../../renderers/app-home.js';
import { deployCommand } from '../commands/deploy-command.js';
import { planCommand } from '../commands/plan-command.js';
import type { ListenerContext } from '../context.js';
import { publishHome, type HomeClient } from '../events/app-home-opened.js';
import type { UsersInfoClient } from '../user-time-zone.js';

/** The client calls the Home's answers need. */
export interface HomeAnswerClient {
  chat: {
    postEphemeral(args: {
      channel: string;
      user: string;
      text: string;
      blocks?: unknown[];
    }): Promise<unknown>;
    postMessage(args: { channel: string; text: string; blocks?: unknown[] }): Promise<unknown>;
  };
}

/**
 * A `respond` for an action without a response_url: an ephemeral to `user` in `channel`, or a direct
 * message when that fails (the bot is not in the channel).
 */
export function respondPrivately(client: HomeAnswerClient, channel: string, user: string): RespondFn {
  return async (message: string | RespondArguments) => {
    const m = (typeof message === 'string' ? { text: message } : message) as {
      text?: string;
      blocks?: unknown[];
    };
    const body = { text: m.text ?? '', ...(m.blocks ? { blocks: m.blocks } : {}) };
    try {
      await client.chat.postEphemeral({ channel, user, ...body });
    } catch {
      await client.chat.postMessage({ channel: user, ...body });
    }
    // Callers read nothing from respond's answer; this one has no response_url to answer from.
    return new Response(null, { status: 200 });
  };
}

export function registerHomeActions(app: App, ctx: ListenerContext): void {
  const channel = ctx.deps.config.file.slack.channel;
  const on = (
    actionId: string,
    work: (env: string, user: string, respond: RespondFn, client: unknown) => Promise<string>,
  ) =>
    app.action<BlockButtonAction>(actionId, async ({ ack, action, body, client }) => {
      await ack();
      const environment = action.value ?? '';
      const user = body.user.id;
      const respond = respondPrivately(client as unknown as HomeAnswerClient, channel, user);
      const log = ctx.deps.logger.child({ action: actionId, environment, user });
      ctx.inflight.track(
        (async () => {
          const outcome = await work(environment, user, respond, client);
          log.info({ outcome }, `${actionId} answered`);
          await publishHome(ctx, client as unknown as HomeClient, user);
        })(),
        (err) => {
          log.error({ err: describeError(err) }, 'Home button failed');
          void respond({ text: `:warning: That failed: ${describeError(err)}` }).catch(() => undefined);
        },
      );
    });
  on(HOME_ACTIONS.plan, (env, _user, respond) => planCommand(ctx, env, respond));
  on(HOME_ACTIONS.deploy, (env, user, respond, client) =>
    deployCommand(
      ctx,
      { environment: env, reason: '', user, channel, client: client as UsersInfoClient },
      respond,
    ),
  );
}
