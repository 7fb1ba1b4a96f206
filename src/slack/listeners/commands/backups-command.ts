/** `/migrate backups <env>`: the environment's backups, each with a Restore button where offered. */
import type { RespondFn } from '@slack/bolt';
import { renderBackupsMessage } from '../../renderers/backups-message.js';
import { renderRefusal } from '../../renderers/refusal-message.js';
import type { ListenerContext } from '../context.js';

export async function backupsCommand(
  ctx: ListenerContext,
  environment: string,
  respond: RespondFn,
): Promise<string> {
  const list = await ctx.runs.backups(environment);
  if (list.kind === 'refusal') {
    await respond({ response_type: 'ephemeral', ...renderRefusal(list) });
    return list.code;
  }
  await respond({ response_type: 'ephemeral', ...renderBackupsMessage(list) });
  return `${list.backups.length} backups`;
}
