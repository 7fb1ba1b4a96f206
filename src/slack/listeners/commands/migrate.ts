/**
 * `/migrate …`: acknowledge at once (Slack allows 3 s), validate, then do the slow work after the ack
 * and answer through the command's response_url (or, for deploy, a run message in the channel).
 */
import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { describeError } from '../../../base/errors.js';
import { redact } from '../../../base/redact.js';
import { parseMigrateCommand, USAGE, type MigrateCommand } from '../../parse-migrate-command.js';
import type { ListenerContext } from '../context.js';
import { backupsCommand } from './backups-command.js';
import { deployCommand } from './deploy-command.js';
import { maintenanceOffCommand } from './maintenance-command.js';
import { historyCommand, planCommand } from './plan-command.js';
import { cancelCommand, rollbackCommand } from './run-commands.js';
import { watchCommand } from './watch-command.js';
import { statusCommand } from './status-command.js';
import { windowCommand, type WindowClient } from './window-command.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

function ackText(cmd: Exclude<MigrateCommand, { kind: 'help' }>): string {
  switch (cmd.kind) {
    case 'status':
      return `:mag: Reading the migration status of *${cmd.environment}*…`;
    case 'plan':
      return `:mag: Planning a deploy to *${cmd.environment}* (read-only)…`;
    case 'deploy':
      return `:clipboard: Planning a deploy to *${cmd.environment}*; the plan will be posted here for approval…`;
    case 'history':
      return `:scroll: Reading the history of *${cmd.environment}*…`;
    case 'backups':
      return `:floppy_disk: Listing the backups of *${cmd.environment}*…`;
    case 'cancel':
      return `:stop_sign: Cancelling run ${cmd.runId}…`;
    case 'watch':
      return `:eyes: Reading the watch of run ${cmd.runId}…`;
    case 'rollback':
      return `:leftwards_arrow_with_hook: Looking up the ways back for run ${cmd.runId}…`;
    case 'maintenance_off':
      return `:construction: Turning maintenance mode of *${cmd.environment}* off…`;
    case 'window_modal':
      return ''; // the modal is the answer
    case 'window_schedule':
      return `:calendar: Scheduling a maintenance window for *${cmd.environment}*…`;
    case 'window_list':
      return `:calendar: Reading the maintenance windows${cmd.environment ? ` of *${cmd.environment}*` : ''}…`;
    case 'window_cancel':
      return `:wastebasket: Cancelling maintenance window ${cmd.windowId}…`;
  }
}

function dispatch(
  ctx: ListenerContext,
  cmd: Exclude<MigrateCommand, { kind: 'help' }>,
  user: string,
  channel: string,
  respond: RespondFn,
  slack: { readonly triggerId: string; readonly client: WindowClient },
): Promise<string> {
  switch (cmd.kind) {
    case 'status':
      return statusCommand(ctx, cmd.environment, respond);
    case 'plan':
      return planCommand(ctx, cmd.environment, respond);
    case 'history':
      return historyCommand(ctx, cmd.environment, respond);
    case 'backups':
      return backupsCommand(ctx, cmd.environment, respond);
    case 'deploy':
      return deployCommand(
        ctx,
        { environment: cmd.environment, reason: cmd.reason, user, channel, client: slack.client },
        respond,
      );
    case 'cancel':
      return cancelCommand(ctx, cmd.runId, user, respond);
    case 'rollback':
      return rollbackCommand(ctx, cmd.runId, respond);
    case 'watch':
      return watchCommand(ctx, cmd.runId, respond);
    case 'maintenance_off':
      return maintenanceOffCommand(ctx, cmd.environment, user, respond);
    case 'window_modal':
    case 'window_schedule':
    case 'window_list':
    case 'window_cancel':
      return windowCommand(ctx, cmd, { user, channel, ...slack }, respond);
  }
}

export function migrateCommand(ctx: ListenerContext) {
  return async ({ command, ack, respond, client }: Args): Promise<void> => {
    const acked = ctx.metrics?.ackTimer();
    const parsed = parseMigrateCommand(typeof command.text === 'string' ? command.text : '');
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: redact(parsed.reply) });
      acked?.('invalid');
      return;
    }
    const cmd = parsed.command;
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: USAGE });
      acked?.('help');
      return;
    }
    if (ctx.inflight.isClosed) {
      await ack({
        response_type: 'ephemeral',
        text: ':zzz: Drawbridge is restarting; try again in a minute.',
      });
      acked?.(cmd.kind);
      return;
    }
    const log = ctx.deps.logger.child({ user: command.user_id, command: cmd.kind });
    const ackWith = ackText(cmd);
    await ack(ackWith ? { response_type: 'ephemeral', text: redact(ackWith) } : undefined);
    acked?.(cmd.kind);
    ctx.inflight.track(
      (async () => {
        const outcome = await dispatch(ctx, cmd, command.user_id, command.channel_id, respond, {
          triggerId: command.trigger_id,
          client,
        });
        log.info({ outcome }, `${cmd.kind} answered`);
      })(),
      (err) => {
        log.error({ err: describeError(err) }, `${cmd.kind} command failed`);
        void respond({
          response_type: 'ephemeral',
          text: `:warning: ${cmd.kind} failed: ${describeError(err)}`,
        }).catch(() => undefined);
      },
    );
  };
}
