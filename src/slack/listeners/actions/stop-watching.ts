/** Stop watching (on the run message and on each watch alert): the requester or an approver ends the watch. */
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../renderers/action-ids.js';
import type { ListenerContext } from '../context.js';
import { onButton, refusalText, tell } from './run-actions.js';

export function registerStopWatching(app: App, ctx: ListenerContext): void {
  onButton(app, ctx, ACTIONS.stopWatching, async (id, user, a) => {
    const r = await ctx.runs.stopWatching(id, user);
    if (r.kind === 'refusal') return tell(a.respond, refusalText(r));
    await tell(
      a.respond,
      `:bar_chart: The watch of run ${id} is stopped; its summary follows in the thread.`,
    );
    await ctx.messenger.flush(id);
  });
}
