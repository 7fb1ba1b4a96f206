/**
 * "Run in the window of …", offered to a deploy asked outside the maintenance window: requests the
 * same deploy into that window (approved ahead, it starts by itself at the window's start), then
 * posts its run message and tells the approvers exactly as `/migrate deploy` does.
 */
import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { describeError } from '../../../base/errors.js';
import { DEPLOY_IN_WINDOW_ACTION } from '../../renderers/action-ids.js';
import { esc } from '../../renderers/blocks.js';
import { decodeDeployInWindow } from '../../renderers/window-offer-message.js';
import { announceRequestedRun } from '../commands/deploy-command.js';
import type { ListenerContext } from '../context.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

async function tell(args: ButtonArgs, text: string, replace = false): Promise<void> {
  await args.respond({ response_type: 'ephemeral', replace_original: replace, text }).catch(() => undefined);
}

async function deployInWindow(ctx: ListenerContext, args: ButtonArgs): Promise<string> {
  const offer = decodeDeployInWindow(args.action.value);
  const channel = args.body.channel?.id;
  if (!offer || !channel) {
    await tell(args, ':warning: This button does not name a window and a channel; it cannot be used.');
    return 'invalid';
  }
  const user = args.body.user.id;
  const result = await ctx.runs.requestDeploy({
    environment: offer.environment,
    requestedBy: user,
    channel,
    windowId: offer.windowId,
    ...(offer.reason ? { reason: offer.reason } : {}),
  });
  if (result.kind === 'refusal') {
    await tell(args, `:no_entry_sign: ${esc(result.message)}${result.hint ? `\n_${esc(result.hint)}_` : ''}`);
    return result.code;
  }
  if (result.kind === 'outside_window') {
    // The window is gone (cancelled, or ended) since the offer was made.
    await tell(
      args,
      `:clock3: ${esc(result.message)} Ask again with \`/migrate deploy ${offer.environment}\`.`,
    );
    return result.kind;
  }
  if (result.kind !== 'requested') {
    const why =
      result.kind === 'not_needed'
        ? 'there is nothing to deploy any more'
        : 'the plan is blocked now; see `/migrate plan`';
    await tell(args, `:information_source: No run was requested: ${why} (*${esc(offer.environment)}*).`);
    return result.kind;
  }
  // The offer is spent: replacing it keeps a second click from asking again.
  await tell(
    args,
    `:calendar: Run ${result.run.id} requested in window \`${offer.windowId}\`; once approved it starts by itself when the window opens.`,
    true,
  );
  return announceRequestedRun(ctx, result.run, channel, args.respond);
}

export function registerWindowActions(app: App, ctx: ListenerContext): void {
  app.action<BlockButtonAction>(DEPLOY_IN_WINDOW_ACTION, async (args) => {
    await args.ack();
    const log = ctx.deps.logger.child({ action: DEPLOY_IN_WINDOW_ACTION, user: args.body.user.id });
    ctx.inflight.track(
      (async () => {
        const outcome = await deployInWindow(ctx, args);
        log.info({ outcome }, 'deploy in window answered');
      })(),
      (err) => {
        log.error({ err: describeError(err) }, 'deploy in window failed');
        void tell(args, `:warning: That failed: ${describeError(err)}`);
      },
    );
  });
}
