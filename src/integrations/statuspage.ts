/**
 * Statuspage REST API v1 client: maintenance announcements, scheduled maintenance and failure
 * incidents. Rate limits (420/429) are retried after a backoff of at least one second on the injected
 * clock; nothing else is retried, because a create is not idempotent. Every error is a redacted
 * `DrawbridgeError` with code `STATUSPAGE_<http status>` (or `STATUSPAGE_NETWORK`); the key never
 * appears in it.
 */
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import { registerSecret } from '../base/redact.js';
import { backoffDelay, describeFetchError, isCallerAbort, timeoutSignal } from './http.js';
import { statusPageErrorDetail } from './statuspage-error.js';
import type {
  ComponentStatus,
  IncidentRef,
  IncidentStatus,
  IncidentUpdateInput,
  OpenIncidentInput,
  ScheduleMaintenanceInput,
  StartMaintenanceInput,
  StatusPage,
  StatusPageConfig,
} from './statuspage-types.js';

export type * from './statuspage-types.js';

export const DEFAULT_STATUSPAGE_API_URL = 'https://api.statuspage.io/v1';

/** Tuning for `StatusPageClient`; every field has a sensible default. */
export interface StatusPageClientOptions {
  clock: Clock;
  /** Retries after a 420/429 answer (default 3). */
  maxRateLimitRetries?: number;
  /** First backoff after a rate limit; raised to at least 1000 ms (default 1000). */
  rateLimitBackoffMs?: number;
  /** Per-request timeout in real milliseconds (default 10000). */
  timeoutMs?: number;
}

type IncidentBody = Record<string, unknown>;

export class StatusPageClient implements StatusPage {
  private readonly baseUrl: string;
  private readonly clock: Clock;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: StatusPageConfig,
    options: StatusPageClientOptions,
  ) {
    if (!config.pageId || !config.apiKey) {
      throw new DrawbridgeError('STATUSPAGE_CONFIG', 'Statuspage needs a page id and an API key');
    }
    registerSecret(config.apiKey);
    this.baseUrl = (config.apiUrl ?? DEFAULT_STATUSPAGE_API_URL).replace(/\/+$/, '');
    this.clock = options.clock;
    this.maxRetries = options.maxRateLimitRetries ?? 3;
    this.backoffMs = Math.max(1000, options.rateLimitBackoffMs ?? 1000);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Opens an in-progress maintenance now: components go `under_maintenance`. */
  startMaintenance(input: StartMaintenanceInput, signal?: AbortSignal): Promise<IncidentRef> {
    const ids = input.componentIds ?? this.config.componentIds;
    return this.create(
      {
        name: input.name,
        body: input.body,
        status: 'in_progress',
        impact_override: 'maintenance',
        component_ids: ids,
        components: componentMap(ids, 'under_maintenance'),
        deliver_notifications: input.deliverNotifications ?? true,
      },
      signal,
    );
  }

  /** Schedules a maintenance window; Statuspage moves it to in progress and completed on its own. */
  scheduleMaintenance(input: ScheduleMaintenanceInput, signal?: AbortSignal): Promise<IncidentRef> {
    return this.create(
      {
        name: input.name,
        body: input.body,
        status: 'scheduled',
        impact_override: 'maintenance',
        scheduled_for: new Date(input.scheduledFor).toISOString(),
        scheduled_until: new Date(input.scheduledUntil).toISOString(),
        scheduled_remind_prior: true,
        scheduled_auto_in_progress: true,
        scheduled_auto_completed: true,
        auto_transition_to_maintenance_state: true,
        auto_transition_to_operational_state: true,
        component_ids: input.componentIds ?? this.config.componentIds,
        deliver_notifications: input.deliverNotifications ?? true,
      },
      signal,
    );
  }

  /** Opens a realtime incident (status `identified`) for a failed deploy. */
  openIncident(input: OpenIncidentInput, signal?: AbortSignal): Promise<IncidentRef> {
    const ids = input.componentIds ?? this.config.componentIds;
    const componentStatus =
      input.componentStatus ?? (input.impact === 'major' ? 'major_outage' : 'partial_outage');
    return this.create(
      {
        name: input.name,
        body: input.body,
        status: 'identified',
        impact_override: input.impact,
        component_ids: ids,
        components: componentMap(ids, componentStatus),
        deliver_notifications: input.deliverNotifications ?? true,
      },
      signal,
    );
  }

  /** Posts an update (new status and text, optionally component statuses) to an incident. */
  async updateIncident(id: string, update: IncidentUpdateInput, signal?: AbortSignal): Promise<IncidentRef> {
    const incident: IncidentBody = { status: update.status, body: update.body };
    if (update.components) incident.components = { ...update.components };
    if (update.deliverNotifications !== undefined)
      incident.deliver_notifications = update.deliverNotifications;
    return toRef(await this.request('PATCH', `/incidents/${encodeURIComponent(id)}`, { incident }, signal));
  }

  /** Completes a maintenance and sets its components back to `operational`. */
  resolveMaintenance(
    id: string,
    body: string,
    componentIds?: readonly string[],
    signal?: AbortSignal,
  ): Promise<IncidentRef> {
    const ids = componentIds ?? this.config.componentIds;
    return this.updateIncident(
      id,
      { status: 'completed', body, components: componentMap(ids, 'operational') },
      signal,
    );
  }

  /** Deletes an incident (how a scheduled maintenance that will not happen is cancelled). */
  async deleteIncident(id: string, signal?: AbortSignal): Promise<void> {
    await this.request('DELETE', `/incidents/${encodeURIComponent(id)}`, undefined, signal);
  }

  /** Incidents whose name contains `text`, newest first (Statuspage's `q` search). */
  async searchIncidents(text: string, signal?: AbortSignal): Promise<IncidentRef[]> {
    const res = await this.request(
      'GET',
      `/incidents?q=${encodeURIComponent(text)}&limit=20`,
      undefined,
      signal,
    );
    return Array.isArray(res) ? res.map((r) => toRef(r)) : [];
  }

  /** Reads an incident back (e.g. after a restart, to see whether it is still open). */
  async getIncident(id: string, signal?: AbortSignal): Promise<IncidentRef> {
    return toRef(await this.request('GET', `/incidents/${encodeURIComponent(id)}`, undefined, signal));
  }

  private async create(incident: IncidentBody, signal?: AbortSignal): Promise<IncidentRef> {
    return toRef(await this.request('POST', '/incidents', { incident }, signal));
  }

  /** One API call, retried only on 420/429. Returns the parsed JSON body. */
  private async request(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const url = `${this.baseUrl}/pages/${encodeURIComponent(this.config.pageId)}${path}`;
    const what = `Statuspage ${method} ${path}`;
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(method, url, body, what, signal);
      const text = await res.text().catch(() => '');
      if (isCallerAbort(signal)) throw signal?.reason;
      if (res.ok) return parseJson(text);
      const limited = res.status === 420 || res.status === 429;
      if (limited && attempt < this.maxRetries) {
        await this.clock.sleep(backoffDelay(this.backoffMs, attempt, 60_000), signal);
        continue;
      }
      const detail = statusPageErrorDetail(text, res.statusText);
      throw new DrawbridgeError(
        `STATUSPAGE_${res.status}`,
        this.scrub(`${what} failed: ${res.status} ${detail}`),
        {
          hint: hintFor(res.status, attempt),
        },
      );
    }
  }

  private async send(method: string, url: string, body: unknown, what: string, signal?: AbortSignal) {
    try {
      return await fetch(url, {
        method,
        headers: {
          Authorization: `OAuth ${this.config.apiKey}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: timeoutSignal(this.timeoutMs, signal),
      });
    } catch (err) {
      if (isCallerAbort(signal)) throw signal?.reason;
      const why = this.scrub(describeFetchError(err, this.timeoutMs));
      throw new DrawbridgeError('STATUSPAGE_NETWORK', `${what} failed: ${why}`, {
        hint: 'Check that the Statuspage API URL is reachable from the bot host.',
      });
    }
  }

  /** Belt and braces: the key is registered with redact, but short keys are not, so cut it here too. */
  private scrub(text: string): string {
    return this.config.apiKey ? text.split(this.config.apiKey).join('***') : text;
  }
}

function componentMap(ids: readonly string[], status: ComponentStatus): Record<string, ComponentStatus> {
  return Object.fromEntries(ids.map((id) => [id, status]));
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw new DrawbridgeError('STATUSPAGE_BAD_RESPONSE', 'Statuspage answered with a body that is not JSON');
  }
}

function toRef(value: unknown): IncidentRef {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof v.id !== 'string' || v.id.length === 0) {
    throw new DrawbridgeError('STATUSPAGE_BAD_RESPONSE', 'Statuspage answered without an incident id');
  }
  return {
    id: v.id,
    shortlink: typeof v.shortlink === 'string' ? v.shortlink : null,
    status: (typeof v.status === 'string' ? v.status : 'investigating') as IncidentStatus,
    name: typeof v.name === 'string' ? v.name : '',
  };
}

function hintFor(status: number, attempt: number): string {
  if (status === 401) return 'Check the Statuspage API key (sent as "Authorization: OAuth <key>").';
  if (status === 403 || status === 404)
    return 'Check the Statuspage page id and component ids in the config.';
  if (status === 420 || status === 429)
    return `Still rate limited after ${attempt + 1} attempts; try again later.`;
  if (status === 422) return 'Statuspage rejected the incident fields (name, status or components).';
  return 'Statuspage did not accept the request; see its status page or try again.';
}
