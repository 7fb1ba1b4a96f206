/**
 * Steps 2 and 10: tell the world. Announce opens a status-page maintenance (when configured), sends
 * the webhooks and tells the team; close resolves the maintenance and says how it went.
 */
import { describeError } from '../../../base/errors.js';
import { StatusPageClient } from '../../../integrations/statuspage.js';
import type { StatusPage } from '../../../integrations/statuspage-types.js';
import { WebhookSender, type WebhookEvent } from '../../../integrations/webhook.js';
import type { CoreDeps } from '../../deps.js';
import type { StepContext, StepOutcome } from '../run-context.js';

/** The status page of an environment, or undefined when none is configured. */
export function statusPageFor(deps: CoreDeps, environment: string): StatusPage | undefined {
  const cfg = deps.config.environment(environment)?.statuspage;
  if (!cfg) return undefined;
  const apiKey = deps.config.secrets.statuspageKey(environment);
  if (!apiKey) return undefined;
  return new StatusPageClient(
    { pageId: cfg.pageId, componentIds: cfg.componentIds, apiKey, apiUrl: cfg.apiUrl },
    { clock: deps.clock },
  );
}

/** Sends a webhook event to every configured target; failures become a returned sentence. */
export async function sendWebhooks(
  deps: CoreDeps,
  event: WebhookEvent,
  signal?: AbortSignal,
): Promise<string> {
  const hooks = deps.config.file.webhooks;
  if (hooks.length === 0) return 'no webhooks configured';
  const targets = hooks.map((h, i) => ({ url: h.url, secret: deps.config.secrets.webhookSecret(i) ?? '' }));
  try {
    const results = await new WebhookSender(targets, { clock: deps.clock }).send(event, signal);
    const failed = results.filter((r) => !r.ok);
    return failed.length === 0
      ? `${results.length} webhook(s) delivered`
      : `${failed.length} of ${results.length} webhook(s) failed: ${failed.map((f) => f.error ?? `HTTP ${String(f.status)}`).join('; ')}`;
  } catch (err) {
    return `webhooks failed: ${describeError(err)}`;
  }
}

export async function announceStep(ctx: StepContext): Promise<StepOutcome> {
  const { run } = ctx;
  const parts: string[] = [];
  const page = statusPageFor(ctx.deps, run.environment);
  if (page) {
    ctx.progress('Opening the status-page maintenance');
    ctx.scratch.statuspage = await page.startMaintenance(
      {
        name: `Database maintenance (${run.environment})`,
        body: `We are applying ${run.plan.migrations.length} database migration(s). Some features may be briefly unavailable.`,
      },
      ctx.signal,
    );
    const link = ctx.scratch.statuspage.shortlink ? ` ${ctx.scratch.statuspage.shortlink}` : '';
    parts.push(`status page maintenance ${ctx.scratch.statuspage.id} opened${link}`);
  }
  parts.push(
    await sendWebhooks(
      ctx.deps,
      { type: 'run:started', runId: run.id, environment: run.environment, migrations: run.plan.migrations },
      ctx.signal,
    ),
  );
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
  const parts: string[] = [];
  const page = statusPageFor(ctx.deps, run.environment);
  if (page && ctx.scratch.statuspage) {
    await page.resolveMaintenance(
      ctx.scratch.statuspage.id,
      'The database maintenance is complete. Everything is operating normally.',
    );
    parts.push(`status page maintenance ${ctx.scratch.statuspage.id} completed`);
  }
  parts.push(
    await sendWebhooks(ctx.deps, {
      type: 'run:succeeded',
      runId: run.id,
      environment: run.environment,
      migrations: run.plan.migrations,
    }),
  );
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
