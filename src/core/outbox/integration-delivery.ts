/**
 * Deliverers for the status page and the webhooks (kinds `statuspage.*` and `webhook.*`): one call
 * each, no retries of their own — the outbox worker retries, with backoff, honouring rate limits.
 */
import { DrawbridgeError, describeError } from '../../base/errors.js';
import { StatusPageClient } from '../../integrations/statuspage.js';
import type { ComponentStatus, IncidentRef } from '../../integrations/statuspage-types.js';
import { WebhookSender, type WebhookEvent } from '../../integrations/webhook.js';
import type { OutboxStore } from '../../store/outbox-store.js';
import type { CoreDeps } from '../deps.js';
import type { Deliverer, DeliveryResult } from './outbox-worker.js';
import {
  statuspageWindowName,
  windowIncident,
  type StatuspageCancelWindow,
  type StatuspageScheduleWindow,
} from '../windows/window-statuspage.js';

/** `statuspage.start`: open the run's maintenance (components under maintenance). */
export interface StatuspageStart {
  readonly environment: string;
  readonly runId: string;
  readonly name: string;
  readonly body: string;
  /**
   * The maintenance window the run starts in: when Statuspage has its scheduled maintenance, that
   * one is moved to in progress instead of opening another.
   */
  readonly windowId?: string;
}

/** `statuspage.finish`: complete it (operational) or post the failure (components per onFailure). */
export interface StatuspageFinish {
  readonly environment: string;
  readonly runId: string;
  readonly succeeded: boolean;
  readonly body: string;
}

/** `webhook.post`: one event to one configured webhook. */
export interface WebhookPost {
  readonly index: number;
  readonly event: WebhookEvent;
}

/** The dedupe key of a run's status-page maintenance (its result holds the incident). */
export function statuspageStartKey(runId: string): string {
  return `statuspage:start:${runId}`;
}

function failure(err: unknown): DeliveryResult {
  const code = err instanceof DrawbridgeError ? err.code : '';
  const status = /^STATUSPAGE_(\d{3})$/.exec(code)?.[1];
  const n = status ? Number(status) : 0;
  const retryable = code === 'STATUSPAGE_NETWORK' || n >= 500 || n === 408 || n === 420 || n === 429;
  return {
    ok: false,
    retryable,
    error: describeError(err),
    ...(n === 420 || n === 429 ? { retryAfterMs: 60_000 } : {}),
  };
}

function client(deps: CoreDeps, environment: string): StatusPageClient | undefined {
  const cfg = deps.config.environment(environment)?.statuspage;
  const apiKey = cfg ? deps.config.secrets.statuspageKey(environment) : undefined;
  if (!cfg || !apiKey) return undefined;
  return new StatusPageClient(
    { pageId: cfg.pageId, componentIds: cfg.componentIds, apiKey, apiUrl: cfg.apiUrl },
    // One attempt each, bounded: the outbox retries (a lost answer is looked for before a repeat).
    { clock: deps.clock, maxRateLimitRetries: 0, timeoutMs: 5000 },
  );
}

/** Delivers `statuspage.start` and `statuspage.finish`. */
export function statuspageDeliverer(deps: CoreDeps, outbox: OutboxStore): Deliverer {
  return async (msg, signal) => {
    const p = msg.payload as StatuspageStart & StatuspageFinish;
    const page = client(deps, p.environment);
    if (!page) return { ok: true, result: { skipped: 'no status page configured' } };
    try {
      if (msg.kind === 'statuspage.scheduleWindow') return await scheduleWindow(page, msg, signal);
      if (msg.kind === 'statuspage.cancelWindow') {
        const incident = windowIncident(outbox, (msg.payload as StatuspageCancelWindow).windowId);
        if (!incident) return { ok: true, result: { skipped: 'the maintenance was never scheduled' } };
        await page.deleteIncident(incident.id, signal);
        return { ok: true, result: { deleted: incident.id } };
      }
      if (msg.kind === 'statuspage.start' && p.windowId) {
        const scheduled = windowIncident(outbox, p.windowId);
        if (scheduled) {
          const cfg = deps.config.environment(p.environment)?.statuspage;
          const components = Object.fromEntries(
            (cfg?.componentIds ?? []).map((id) => [id, 'under_maintenance' as const]),
          );
          return {
            ok: true,
            result: await page.updateIncident(
              scheduled.id,
              { status: 'in_progress', body: p.body, components },
              signal,
            ),
          };
        }
      }
      if (msg.kind === 'statuspage.start') {
        // An earlier attempt may have reached Statuspage before its answer was lost: look first.
        if (msg.attempts > 0) {
          const found = (await page.searchIncidents(p.name, signal)).find((i) => i.name === p.name);
          if (found) return { ok: true, result: found };
        }
        return { ok: true, result: await page.startMaintenance({ name: p.name, body: p.body }, signal) };
      }
      const start = outbox.getByDedupeKey(statuspageStartKey(p.runId));
      const incident = (start?.result ?? undefined) as IncidentRef | undefined;
      if (!incident?.id) return { ok: true, result: { skipped: 'the maintenance was never opened' } };
      if (p.succeeded)
        return { ok: true, result: await page.resolveMaintenance(incident.id, p.body, undefined, signal) };
      const cfg = deps.config.environment(p.environment)?.statuspage;
      const status: ComponentStatus = cfg?.onFailure ?? 'degraded_performance';
      const components = Object.fromEntries((cfg?.componentIds ?? []).map((id) => [id, status]));
      return {
        ok: true,
        result: await page.updateIncident(
          incident.id,
          { status: 'in_progress', body: p.body, components },
          signal,
        ),
      };
    } catch (err) {
      return failure(err);
    }
  };
}

/** Delivers `webhook.post` to one target, with the item's dedupe key as the delivery id. */
export function webhookDeliverer(deps: CoreDeps): Deliverer {
  return async (msg, signal) => {
    const p = msg.payload as WebhookPost;
    const hook = deps.config.file.webhooks[p.index];
    if (!hook) return { ok: false, retryable: false, error: `webhook ${p.index} is no longer configured` };
    const sender = new WebhookSender(
      [{ url: hook.url, secret: deps.config.secrets.webhookSecret(p.index) ?? '' }],
      {
        clock: deps.clock,
        retries: 0,
      },
    );
    const [r] = await sender.send(p.event, signal, msg.dedupeKey);
    if (r?.ok) return { ok: true, result: { status: r.status } };
    const status = r?.status ?? 0;
    return {
      ok: false,
      retryable: status === 0 || status >= 500 || status === 408 || status === 429,
      error: r?.error ?? 'no answer',
    };
  };
}

/** Creates a window's scheduled maintenance; after a lost answer, looks for it first. */
async function scheduleWindow(
  page: StatusPageClient,
  msg: { payload: unknown; attempts: number },
  signal: AbortSignal | undefined,
): Promise<DeliveryResult> {
  const p = msg.payload as StatuspageScheduleWindow;
  const name = statuspageWindowName({ environment: p.environment, title: '', id: p.windowId });
  if (msg.attempts > 0) {
    const found = (await page.searchIncidents(`window ${p.windowId}`, signal)).find((i) =>
      i.name.endsWith(name.slice(name.indexOf('('))),
    );
    if (found) return { ok: true, result: found };
  }
  return {
    ok: true,
    result: await page.scheduleMaintenance(
      { name: p.name, body: p.body, scheduledFor: p.scheduledFor, scheduledUntil: p.scheduledUntil },
      signal,
    ),
  };
}
