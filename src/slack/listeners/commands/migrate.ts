/**
 * `/migrate …`: acknowledge at once (Slack allows 3 s), validate, then do the slow work after the ack
 * and answer through the command's response_url.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { describeError } from '../../../base/errors.js';
import { redact } from '../../../base/redact.js';
import { environmentStatus } from '../../../core/status-service.js';
import { parseMigrateCommand, USAGE } from '../../parse-migrate-command.js';
import { renderStatusFailure, renderStatusMessage } from '../../renderers/status-message.js';
import { renderRefusal } from '../../renderers/refusal-message.js';
import type { ListenerContext } from '../context.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function migrateCommand(ctx: ListenerContext) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const parsed = parseMigrateCommand(typeof command.text === 'string' ? command.text : '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: redact(parsed.reply) });
      return;
    }
    const cmd = parsed.command;
    const log = ctx.deps.logger.child({ user: command.user_id, command: cmd.kind });
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    if (ctx.inflight.isClosed) {
      await ack({
        response_type: 'ephemeral',
        text: ':zzz: Drawbridge is restarting; try again in a minute.',
      });
      return;
    }
    await ack({
      response_type: 'ephemeral',
      text: redact(`:mag: Reading the migration status of *${cmd.environment}*…`),
    });
    ctx.inflight.track(
      (async () => {
        const result = await environmentStatus(ctx.deps, cmd.environment);
        if (result.kind === 'refusal') {
          await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
        } else if (result.kind === 'failure') {
          await respond({ response_type: 'ephemeral', ...renderStatusFailure(result) });
        } else {
          await respond({ response_type: 'in_channel', ...renderStatusMessage(result) });
        }
        log.info({ environment: cmd.environment, outcome: result.kind }, 'status answered');
      })(),
      (err) => {
        log.error({ err: describeError(err) }, 'status command failed');
        void respond({
          response_type: 'ephemeral',
          text: `:warning: Status failed: ${describeError(err)}`,
        }).catch(() => undefined);
      },
    );
  };
}
