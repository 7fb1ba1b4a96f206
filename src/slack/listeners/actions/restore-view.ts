/**
 * The restore confirmation modal's submission: the typed text must be exactly `RESTORE <env>`,
 * otherwise the modal stays open with the error under the field. Then the restore runs after the ack.
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { describeError } from '../../../base/errors.js';
import { RESTORE_VIEW, restorePhrase } from '../../renderers/action-ids.js';
import type { ListenerContext } from '../context.js';

const metadata = z.string().regex(/^[0-9a-f]{8}$/);

export function registerRestoreView(app: App, ctx: ListenerContext): void {
  app.view(RESTORE_VIEW.callbackId, async ({ ack, view, body, client }) => {
    const runId = metadata.safeParse(view.private_metadata);
    const run = runId.success ? ctx.runs.find(runId.data) : undefined;
    if (!run) {
      await ack({
        response_action: 'errors',
        errors: { [RESTORE_VIEW.blockId]: 'This modal does not name a known run.' },
      });
      return;
    }
    const typed = view.state.values[RESTORE_VIEW.blockId]?.[RESTORE_VIEW.actionId]?.value ?? '';
    const phrase = restorePhrase(run.environment);
    if (typed.trim() !== phrase) {
      await ack({
        response_action: 'errors',
        errors: { [RESTORE_VIEW.blockId]: `Type ${phrase} exactly to confirm.` },
      });
      return;
    }
    await ack();
    const user = body.user.id;
    ctx.inflight.track(
      (async () => {
        const r = await ctx.runs.restore(run.id, user);
        if (r.kind === 'refusal') {
          await client.chat.postEphemeral({
            channel: run.channel ?? user,
            user,
            text: `:no_entry_sign: ${r.message}`,
          });
        }
        await ctx.messenger.flush(run.id);
      })(),
      (err) => {
        ctx.deps.logger.error({ runId: run.id, err: describeError(err) }, 'restore failed');
        ctx.messenger.thread(run.id, `:x: Restore failed: ${describeError(err)}`);
      },
    );
  });
}
