/**
 * Steps 2 and 10: tell the team. The status page and the webhooks are told by their subscribers
 * (core/subscribers/integration-subscribers.ts) through the outbox, so a status page that is down
 * never stops or fails a run.
 */
import type { StepContext, StepOutcome } from '../run-context.js';

/** What the subscribers tell the outside world for this environment, in a few words. */
function outsideWorld(ctx: StepContext): string {
  const told = [
    ...(ctx.env.statuspage ? ['status page'] : []),
    ...(ctx.deps.config.file.webhooks.length ? [`${ctx.deps.config.file.webhooks.length} webhook(s)`] : []),
  ];
  return told.length ? `${told.join(' and ')} queued in the outbox` : 'no status page or webhooks configured';
}

export async function announceStep(ctx: StepContext): Promise<StepOutcome> {
  const { run } = ctx;
  const parts: string[] = [outsideWorld(ctx)];
  ctx.emit({
    kind: 'notice',
    runId: run.id,
    notice: {
      kind: 'deploying',
      environment: run.environment,
      runId: run.id,
      requestedBy: run.requestedBy,
      migrations: run.plan.migrations.map((m) => m.name),
    },
  });
  parts.push('team told');
  return { state: 'succeeded', summary: parts.join('; ') };
}

export async function closeStep(ctx: StepContext): Promise<StepOutcome> {
  const { run } = ctx;
  const parts: string[] = [outsideWorld(ctx)];
  ctx.emit({
    kind: 'notice',
    runId: run.id,
    notice: {
      kind: 'deployed',
      environment: run.environment,
      runId: run.id,
      count: run.plan.migrations.length,
      warnings: ctx.scratch.warnings.length,
    },
  });
  parts.push('team told');
  return { state: 'succeeded', summary: parts.join('; ') };
}
