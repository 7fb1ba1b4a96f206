/** `/migrate watch <run>`: the post-deploy watch so far, or why there is none. */
import type { RespondFn } from '@slack/bolt';
import { renderRefusal } from '../../renderers/refusal-message.js';
import { renderWatchReply } from '../../renderers/monitor-message.js';
import type { ListenerContext } from '../context.js';

export async function watchCommand(ctx: ListenerContext, runId: string, respond: RespondFn): Promise<string> {
  const found = ctx.runs.watch(runId);
  if ('kind' in found) {
    await respond({ response_type: 'ephemeral', ...renderRefusal(found) });
    return found.code;
  }
  await respond({ response_type: 'ephemeral', ...renderWatchReply(found.summary, found.watching) });
  return found.watching ? 'watching' : 'ended';
}
