/**
 * Revert with down.sql: the button opens the confirmation modal (after asking whether the clicker may,
 * and reading what the down files drop); the modal's submission must be exactly `REVERT <env>`, then
 * the revert runs after the ack. The same pattern as Restore backup (restore-view.ts).
 */
import type { App } from '@slack/bolt';
import { ACTIONS, REVERT_VIEW, revertPhrase } from '../../renderers/action-ids.js';
import { revertModal } from '../../renderers/revert-modal.js';
import type { ListenerContext } from '../context.js';
import { onButton, refusalText, tell } from './run-actions.js';
import { onTypedConfirmation } from './typed-confirmation.js';

export function registerRevertDown(app: App, ctx: ListenerContext): void {
  onButton(app, ctx, ACTIONS.revertDown, async (id, user, a) => {
    const preview = await ctx.runs.previewRevert(id, user);
    if (preview.kind === 'refusal') return tell(a.respond, refusalText(preview));
    await a.client.views.open({ trigger_id: a.body.trigger_id, view: revertModal(preview) });
  });
  onTypedConfirmation(app, ctx, {
    view: REVERT_VIEW,
    phrase: revertPhrase,
    what: 'revert with down.sql',
    act: (runId, user) => ctx.runs.revertWithDown(runId, user),
  });
}
