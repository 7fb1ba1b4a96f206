/** The Cancel rehearsal button: stops the rehearsal of the run's plan; the run itself stays. */
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../renderers/action-ids.js';
import type { ListenerContext } from '../context.js';
import { onButton, refusalText, tell } from './run-actions.js';

export function registerCancelRehearsal(app: App, ctx: ListenerContext): void {
  onButton(app, ctx, ACTIONS.cancelRehearsal, async (id, user, a) => {
    const r = await ctx.runs.cancelRehearsal(id, user);
    if (r.kind === 'refusal') return tell(a.respond, refusalText(r));
    await tell(a.respond, `:stop_sign: Cancelling the rehearsal of run ${id}…`);
  });
}
