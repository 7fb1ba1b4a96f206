/**
 * Revert with down.sql: the button opens the confirmation modal (after asking whether the clicker may,
 * and reading what the down files drop); the modal's submission must be exactly `REVERT <env>`, then
 * the revert runs after the ack. The same pattern as Restore backup (restore-view.ts).
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { describeError } from '../../../base/errors.js';
import { ACTIONS, REVERT_VIEW, revertPhrase } from '../../renderers/action-ids.js';
import { revertModal } from '../../renderers/revert-modal.js';
import type { ListenerContext } from '../context.js';
import { onButton, refusalText, tell } from './run-actions.js';

const metadata = z.string().regex(/^[0-9a-f]{8}$/);

export function registerRevertDown(app: App, ctx: ListenerContext): void {
  onButton(app, ctx, ACTIONS.revertDown, async (id, user, a) => {
    const preview = await ctx.runs.previewRevert(id, user);
    if (preview.kind === 'refusal') return tell(a.respond, refusalText(preview));
    await a.client.views.open({ trigger_id: a.body.trigger_id, view: revertModal(preview) });
  });
  app.view(REVERT_VIEW.callbackId, async ({ ack, view, body, client }) => {
    const runId = metadata.safeParse(view.private_metadata);
    const run = runId.success ? ctx.runs.find(runId.data) : undefined;
    if (!run) {
      await ack({
        response_action: 'errors',
        errors: { [REVERT_VIEW.blockId]: 'This modal does not name a known run.' },
      });
      return;
    }
    const typed = view.state.values[REVERT_VIEW.blockId]?.[REVERT_VIEW.actionId]?.value ?? '';
    const phrase = revertPhrase(run.environment);
    if (typed.trim() !== phrase) {
      await ack({
        response_action: 'errors',
        errors: { [REVERT_VIEW.blockId]: `Type ${phrase} exactly to confirm.` },
      });
      return;
    }
    await ack();
    const user = body.user.id;
    ctx.inflight.track(
      (async () => {
        const r = await ctx.runs.revertWithDown(run.id, user);
        if (r.kind === 'refusal')
          await client.chat.postEphemeral({
            channel: run.channel ?? user,
            user,
            text: `:no_entry_sign: ${r.message}`,
          });
        await ctx.messenger.flush(run.id);
      })(),
      (err) => {
        ctx.deps.logger.error({ runId: run.id, err: describeError(err) }, 'revert with down.sql failed');
        ctx.messenger.thread(run.id, `:x: Revert with down.sql failed: ${describeError(err)}`);
      },
    );
  });
}
