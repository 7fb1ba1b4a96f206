/**
 * The buttons of a run message. Every click is acknowledged at once; the work continues after the
 * ack. A click that changes nothing (a stranger, a second vote, a decided or expired run) gets an
 * ephemeral explanation only the clicker sees.
 */
import type {
  AllMiddlewareArgs,
  App,
  BlockButtonAction,
  RespondFn,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import * as z from 'zod';
import { describeError, type Refusal } from '../../../base/errors.js';
import type { VoteDecision } from '../../../store/run-types.js';
import { ACTIONS } from '../../renderers/action-ids.js';
import { esc } from '../../renderers/blocks.js';
import { restoreModal } from '../../renderers/restore-modal.js';
import { deployCommand } from '../commands/deploy-command.js';
import type { ListenerContext } from '../context.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

const runIdValue = z.string().regex(/^[0-9a-f]{8}$/);

export async function tell(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
}

export function refusalText(r: Refusal): string {
  return `:no_entry_sign: ${esc(r.message)}${r.hint ? `\n_${esc(r.hint)}_` : ''}`;
}

/** Registers one button: validates the run id, acks, then runs `work` after the ack. */
export function onButton(
  app: App,
  ctx: ListenerContext,
  actionId: string,
  work: (runId: string, user: string, args: ButtonArgs) => Promise<void>,
): void {
  app.action<BlockButtonAction>(actionId, async (args) => {
    await args.ack();
    const parsed = runIdValue.safeParse(args.action.value);
    if (!parsed.success) {
      await tell(args.respond, ':warning: This button does not name a run; it cannot be used.');
      return;
    }
    const user = args.body.user.id;
    const log = ctx.deps.logger.child({ action: actionId, runId: parsed.data, user });
    ctx.inflight.track(work(parsed.data, user, args), (err) => {
      log.error({ err: describeError(err) }, 'button failed');
      void tell(args.respond, `:warning: That failed: ${describeError(err)}`);
    });
  });
}

async function vote(
  ctx: ListenerContext,
  runId: string,
  user: string,
  decision: VoteDecision,
  respond: RespondFn,
): Promise<void> {
  const result = await ctx.runs.vote(runId, user, decision);
  if (result.kind === 'refusal') return tell(respond, refusalText(result));
  const t = result.tally;
  if (result.outcome === 'pending') {
    return tell(
      respond,
      `:ballot_box_with_check: Your approval of run ${runId} is recorded (${t.approvedBy.length} of ${t.required}).`,
    );
  }
  if (result.outcome === 'rejected') return tell(respond, `:no_entry: You rejected run ${runId}.`);
  // Core started the run with the deciding vote; told while it starts: the pipeline does not wait for Slack.
  const told = tell(
    respond,
    `:rocket: Run ${runId} is approved (${t.approvedBy.length} of ${t.required}); starting now.`,
  );
  const started = await result.started;
  await told;
  if (started?.kind === 'refusal')
    ctx.messenger.thread(runId, `:no_entry_sign: The run did not start: ${started.message}`);
  else if (started?.kind === 'voided')
    await tell(
      respond,
      ':warning: The plan changed just before the start; approvals are void. See the run message.',
    );
  await ctx.messenger.flush(runId);
}

export function registerRunActions(app: App, ctx: ListenerContext): void {
  onButton(app, ctx, ACTIONS.approve, (id, user, a) => vote(ctx, id, user, 'approve', a.respond));
  onButton(app, ctx, ACTIONS.reject, (id, user, a) => vote(ctx, id, user, 'reject', a.respond));
  onButton(app, ctx, ACTIONS.cancel, async (id, user, a) => {
    const r = await ctx.runs.cancel(id, user);
    if (r.kind === 'refusal') return tell(a.respond, refusalText(r));
    await tell(
      a.respond,
      r.kind === 'cancelled' ? `:stop_sign: Run ${id} is cancelled.` : `:stop_sign: Cancelling run ${id}…`,
    );
  });
  onButton(app, ctx, ACTIONS.markRolledBack, async (id, user, a) => {
    const r = await ctx.runs.markRolledBack(id, user);
    if (r.kind === 'refusal') return tell(a.respond, refusalText(r));
    await ctx.messenger.flush(id);
  });
  onButton(app, ctx, ACTIONS.restore, async (id, user, a) => {
    // Asked before the modal opens, so nobody types a confirmation for a restore they may not do.
    const allowed = await ctx.runs.authorizeAction('restore', id, user);
    if (allowed.kind === 'refusal') return tell(a.respond, refusalText(allowed));
    await a.client.views.open({
      trigger_id: a.body.trigger_id,
      view: restoreModal(allowed.run, ctx.runs.undoneBy(id)),
    });
  });
  onButton(app, ctx, ACTIONS.maintenanceOff, async (id, user, a) => {
    const r = await ctx.runs.turnMaintenanceOff(id, user);
    if (r.kind === 'refusal') return tell(a.respond, refusalText(r));
    await ctx.messenger.flush(id);
  });
  onButton(app, ctx, ACTIONS.retry, async (id, user, a) => {
    const allowed = await ctx.runs.authorizeAction('retry', id, user);
    if (allowed.kind === 'refusal') return tell(a.respond, refusalText(allowed));
    const { run } = allowed;
    if (!run.channel)
      return tell(a.respond, `:no_entry_sign: There is no run ${id} with a message to retry from.`);
    await deployCommand(
      ctx,
      { environment: run.environment, reason: `retry of run ${id}`, user, channel: run.channel },
      a.respond,
    );
  });
}
