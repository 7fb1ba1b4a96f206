/** `/migrate cancel <run>` (before apply) and `/migrate rollback <run>` (the ways back, as buttons). */
import type { RespondFn } from '@slack/bolt';
import { renderRefusal } from '../../renderers/refusal-message.js';
import { renderRunMessage } from '../../renderers/run-message.js';
import type { ListenerContext } from '../context.js';

export async function cancelCommand(
  ctx: ListenerContext,
  runId: string,
  user: string,
  respond: RespondFn,
): Promise<string> {
  const result = await ctx.runs.cancel(runId, user, { beforeApplyOnly: true });
  if (result.kind === 'refusal') {
    await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
    return result.code;
  }
  const text =
    result.kind === 'cancelled'
      ? `:stop_sign: Run ${runId} (${result.run.environment}) is cancelled.`
      : `:stop_sign: Cancelling run ${runId} (${result.run.environment}); it stops before the next step.`;
  await respond({ response_type: 'ephemeral', text });
  return result.kind;
}

export async function rollbackCommand(
  ctx: ListenerContext,
  runId: string,
  respond: RespondFn,
): Promise<string> {
  const view = ctx.runs.view(runId);
  if (!view) {
    await respond({ response_type: 'ephemeral', text: `:no_entry_sign: There is no run ${runId}.` });
    return 'RUN_NOT_FOUND';
  }
  if (!view.actions.markRolledBack && !view.actions.restore) {
    await respond({
      response_type: 'ephemeral',
      text: `:information_source: Run ${runId} is ${view.run.state.replace('_', ' ')}: there is nothing to roll back. The ways back are for a failed, cancelled or interrupted run, and Restore backup also for a deployed run while its backup exists.`,
    });
    return 'nothing';
  }
  await respond({ response_type: 'ephemeral', ...renderRunMessage(view) });
  return 'offered';
}
