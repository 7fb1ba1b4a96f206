/** `/migrate plan <env>` and `/migrate history <env>`: read-only answers. */
import type { RespondFn } from '@slack/bolt';
import { renderHistoryMessage } from '../../renderers/history-message.js';
import { renderPlanMessage } from '../../renderers/plan-message.js';
import { renderRefusal } from '../../renderers/refusal-message.js';
import { unknownEnvironment } from '../../../core/index.js';
import type { ListenerContext } from '../context.js';

export async function planCommand(
  ctx: ListenerContext,
  environment: string,
  respond: RespondFn,
): Promise<string> {
  // A ready plan of an environment with a shadow database is rehearsed in the background.
  const report = await ctx.runs.plan(environment, { rehearse: true });
  if (report.kind === 'refusal') {
    await respond({ response_type: 'ephemeral', ...renderRefusal(report) });
    return report.code;
  }
  await respond({ response_type: 'in_channel', ...renderPlanMessage(report) });
  return report.verdict;
}

export async function historyCommand(
  ctx: ListenerContext,
  environment: string,
  respond: RespondFn,
): Promise<string> {
  const unknown = unknownEnvironment(ctx.deps, environment);
  if (unknown) {
    await respond({ response_type: 'ephemeral', ...renderRefusal(unknown) });
    return unknown.code;
  }
  const views = ctx.runs.history(environment, 10);
  await respond({ response_type: 'ephemeral', ...renderHistoryMessage(environment, views) });
  return `${views.length} runs`;
}
