/**
 * The restore confirmation modal's submission: the typed text must be exactly `RESTORE <env>`,
 * otherwise the modal stays open with the error under the field. Then the restore runs after the ack.
 */
import type { App } from '@slack/bolt';
import { RESTORE_VIEW, restorePhrase } from '../../renderers/action-ids.js';
import type { ListenerContext } from '../context.js';
import { onTypedConfirmation } from './typed-confirmation.js';

export function registerRestoreView(app: App, ctx: ListenerContext): void {
  onTypedConfirmation(app, ctx, {
    view: RESTORE_VIEW,
    phrase: restorePhrase,
    what: 'restore',
    act: (runId, user) => ctx.runs.restore(runId, user),
  });
}
