/** `/migrate status <env>`: the migration status of an environment, posted in the channel. */
import type { RespondFn } from '@slack/bolt';
import { environmentStatus } from '../../../core/index.js';
import { renderRefusal } from '../../renderers/refusal-message.js';
import { renderStatusFailure, renderStatusMessage } from '../../renderers/status-message.js';
import type { ListenerContext } from '../context.js';

export async function statusCommand(
  ctx: ListenerContext,
  environment: string,
  respond: RespondFn,
): Promise<string> {
  const result = await environmentStatus(ctx.deps, environment);
  if (result.kind === 'refusal') {
    await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
  } else if (result.kind === 'failure') {
    await respond({ response_type: 'ephemeral', ...renderStatusFailure(result) });
  } else {
    await respond({ response_type: 'in_channel', ...renderStatusMessage(result) });
  }
  return result.kind;
}
