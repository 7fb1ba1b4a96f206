/**
 * `/migrate deploy <env> [reason…]`: plan; nothing to do or blocked → a clear answer; outside the
 * maintenance window of an environment that requires one → the offer of the next window; otherwise a
 * run waiting for approval, its live message in the channel with Approve / Reject / Cancel, and the
 * approvers told (a mention in the thread and a direct message each).
 */
import type { RespondFn } from '@slack/bolt';
import { describeError } from '../../../base/errors.js';
import { describeApprovers, type DeployRequest } from '../../../core/index.js';
import type { RunRecord } from '../../../store/run-types.js';
import { renderPlanMessage } from '../../renderers/plan-message.js';
import { renderRefusal } from '../../renderers/refusal-message.js';
import { renderWindowOffer } from '../../renderers/window-offer-message.js';
import type { ListenerContext } from '../context.js';
import { userTimeZone, type UsersInfoClient } from '../user-time-zone.js';

/** Slack's answers that mean the bot is not in (or cannot see) the channel. */
const NOT_A_MEMBER = /not_in_channel|channel_not_found/;

/** Direct messages sent per request at most (large groups are told through the mention). */
const MAX_DMS = 20;

export interface DeployInput {
  readonly environment: string;
  readonly reason: string;
  readonly user: string;
  readonly channel: string;
  /** For the requester's time zone in the offer of a window; UTC without it. */
  readonly client?: UsersInfoClient;
}

export async function deployCommand(
  ctx: ListenerContext,
  input: DeployInput,
  respond: RespondFn,
): Promise<string> {
  const result = await ctx.runs.requestDeploy({
    environment: input.environment,
    requestedBy: input.user,
    channel: input.channel,
    ...(input.reason ? { reason: input.reason } : {}),
  });
  if (result.kind === 'refusal') {
    await respond({ response_type: 'ephemeral', ...renderRefusal(result) });
    return result.code;
  }
  if (result.kind === 'outside_window') return offerWindow(ctx, input, result, respond);
  if (result.kind !== 'requested') {
    await respond({
      response_type: 'in_channel',
      ...renderPlanMessage(result.report, `Deploy to ${input.environment}`),
    });
    return result.kind;
  }
  return announceRequestedRun(ctx, result.run, input.channel, respond);
}

async function offerWindow(
  ctx: ListenerContext,
  input: DeployInput,
  result: Extract<DeployRequest, { kind: 'outside_window' }>,
  respond: RespondFn,
): Promise<string> {
  const zone = result.next && input.client ? (await userTimeZone(input.client, input.user)).timeZone : 'UTC';
  await respond({
    response_type: 'ephemeral',
    ...renderWindowOffer({
      environment: input.environment,
      message: result.message,
      reason: input.reason,
      timeZone: zone,
      ...(result.next ? { next: result.next } : {}),
    }),
  });
  return result.kind;
}

/**
 * What follows a `requested` deploy, from the command or from the offer of a window: the run message
 * in `channel` (the run is abandoned when Slack refuses it) and the approvers told.
 */
export async function announceRequestedRun(
  ctx: ListenerContext,
  run: RunRecord,
  channel: string,
  respond: RespondFn,
): Promise<string> {
  const posted = await ctx.messenger.postRunMessage(run.id, channel);
  if (posted.kind === 'failed') {
    ctx.runs.abandon(run.id, `the run message could not be posted (${posted.error})`);
    const invite = NOT_A_MEMBER.test(posted.error)
      ? ' Invite the bot to the channel (`/invite @Drawbridge`) and try again.'
      : '';
    await respond({
      response_type: 'ephemeral',
      text: `:warning: Could not post the run message in this channel (${posted.error}).${invite} Run ${run.id} was cancelled.`,
    });
    return 'post_failed';
  }
  if (posted.kind === 'queued') {
    await respond({
      response_type: 'ephemeral',
      text: `:hourglass: Slack did not take the run message yet (${posted.error}); run ${run.id} waits for approval and its message will be posted as soon as Slack answers.`,
    });
  }
  await notifyApprovers(ctx, run).catch((err: unknown) => {
    ctx.messenger.thread(run.id, `:warning: Could not notify the approvers: ${describeError(err)}`);
  });
  return 'requested';
}

async function notifyApprovers(ctx: ListenerContext, run: RunRecord): Promise<void> {
  const policy = ctx.runs.policyOf(run);
  const named = policy.allowSelfApproval
    ? policy.approvers
    : policy.approvers.filter((a) => a !== run.requestedBy);
  const who = named.map((a) => (a.startsWith('S') ? `<!subteam^${a}>` : `<@${a}>`));
  const self = policy.allowSelfApproval ? '' : ' (not the requester)';
  const count = `${policy.required} approval(s) needed${self}, within ${policy.expiresAfterMinutes} minutes`;
  ctx.messenger.thread(
    run.id,
    who.length
      ? `:bell: Approval requested from ${who.join(' ')}: ${count}.`
      : `:bell: Approval requested from ${describeApprovers([])}: ${count}.`,
  );
  if (policy.approvers.length === 0) return;
  const resolved = await ctx.runs.membership.resolve(policy.approvers);
  const targets = resolved.everyone.filter((u) => u !== run.requestedBy).slice(0, MAX_DMS);
  for (const user of targets) {
    ctx.messenger.dm(
      user,
      `<@${run.requestedBy}> asks for your approval: deploy ${run.plan.migrations.length} migration(s) to *${run.environment}* (run ${run.id}) in <#${run.channel ?? ''}>.`,
      `approval:${run.id}`,
    );
  }
}
