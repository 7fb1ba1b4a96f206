/**
 * A confirmation modal whose submission must be an exact typed phrase (`RESTORE <env>`, `REVERT <env>`):
 * anything else keeps the modal open with the error under the field; then the action runs after the
 * ack, its refusal told to the clicker, its failure posted in the run's thread. Restore backup and
 * Revert with down.sql both register through here.
 */
import type { App } from '@slack/bolt';
import * as z from 'zod';
import { describeError, type Refusal } from '../../../base/errors.js';
import type { ListenerContext } from '../context.js';

const metadata = z.string().regex(/^[0-9a-f]{8}$/);

export interface TypedConfirmation {
  /** The modal's ids (callback, the input's block and action). */
  readonly view: { readonly callbackId: string; readonly blockId: string; readonly actionId: string };
  /** The phrase to type for a run of `environment`. */
  readonly phrase: (environment: string) => string;
  /** What it is, for the log and the thread: "restore", "Revert with down.sql". */
  readonly what: string;
  /** The action, once confirmed. */
  readonly act: (runId: string, user: string) => Promise<{ kind: string } | Refusal>;
}

export function onTypedConfirmation(app: App, ctx: ListenerContext, c: TypedConfirmation): void {
  app.view(c.view.callbackId, async ({ ack, view, body, client }) => {
    const runId = metadata.safeParse(view.private_metadata);
    const run = runId.success ? ctx.runs.find(runId.data) : undefined;
    if (!run) {
      await ack({
        response_action: 'errors',
        errors: { [c.view.blockId]: 'This modal does not name a known run.' },
      });
      return;
    }
    const typed = view.state.values[c.view.blockId]?.[c.view.actionId]?.value ?? '';
    const phrase = c.phrase(run.environment);
    if (typed.trim() !== phrase) {
      await ack({
        response_action: 'errors',
        errors: { [c.view.blockId]: `Type ${phrase} exactly to confirm.` },
      });
      return;
    }
    await ack();
    const user = body.user.id;
    ctx.inflight.track(
      (async () => {
        const r = await c.act(run.id, user);
        if (r.kind === 'refusal')
          await client.chat.postEphemeral({
            channel: run.channel ?? user,
            user,
            text: `:no_entry_sign: ${(r as Refusal).message}`,
          });
        await ctx.messenger.flush(run.id);
      })(),
      (err) => {
        ctx.deps.logger.error({ runId: run.id, err: describeError(err) }, `${c.what} failed`);
        ctx.messenger.thread(
          run.id,
          `:x: ${c.what.charAt(0).toUpperCase()}${c.what.slice(1)} failed: ${describeError(err)}`,
        );
      },
    );
  });
}
