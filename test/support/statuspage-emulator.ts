/**
 * A loopback Statuspage REST API v1 (shared/slack-wire.md section 7): incidents (create, update,
 * read, list, delete) and components, with the `.json` suffix, OAuth header or `api_key` query auth,
 * 401/404/422 errors and injectable 420/429 rate limiting. Every request is recorded.
 * One file on purpose (≈380 lines): the incident model and the routes only make sense together, and
 * the deploy scenarios import this one module.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../src/base/clock.js';
import {
  COMPONENT_STATUSES,
  IMPACTS,
  INCIDENT_STATUSES,
  type ComponentStatus,
  type IncidentStatus,
} from '../../src/integrations/statuspage-types.js';

export interface EmulatedComponent {
  id: string;
  page_id: string;
  group_id: null;
  name: string;
  description: null;
  position: number;
  status: ComponentStatus;
  showcase: boolean;
  only_show_if_degraded: boolean;
  created_at: string;
  updated_at: string;
  start_date: null;
}

export interface EmulatedIncidentUpdate {
  id: string;
  incident_id: string;
  status: IncidentStatus;
  body: string;
  created_at: string;
  display_at: string;
  deliver_notifications: boolean;
  affected_components: { code: string; name: string; new_status: ComponentStatus }[];
}

/** An incident as the emulator stores and returns it (the documented response fields). */
export interface EmulatedIncident {
  id: string;
  page_id: string;
  name: string;
  status: IncidentStatus;
  impact: string;
  impact_override: string | null;
  shortlink: string;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  scheduled_for: string | null;
  scheduled_until: string | null;
  scheduled_remind_prior: boolean;
  scheduled_auto_in_progress: boolean;
  scheduled_auto_completed: boolean;
  auto_transition_to_maintenance_state: boolean;
  auto_transition_to_operational_state: boolean;
  metadata: Record<string, unknown>;
  components: EmulatedComponent[];
  incident_updates: EmulatedIncidentUpdate[];
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/pages/abc/incidents.json`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** Status the emulator answered with. */
  status: number;
}

export interface StatuspageEmulatorOptions {
  apiKey?: string;
  pageId?: string;
  components?: { id: string; name: string }[];
  clock?: Clock;
}

export interface StatuspageEmulator {
  /** API base URL, e.g. `http://127.0.0.1:45123/v1` (use as `apiUrl`). */
  url: string;
  apiKey: string;
  pageId: string;
  requests: RecordedRequest[];
  /** Incidents in creation order (live objects). */
  incidents: EmulatedIncident[];
  components: EmulatedComponent[];
  /** The next `n` requests are answered with `status` (default 429) before anything else is checked. */
  injectRateLimit(n: number, status?: 420 | 429): void;
  /**
   * Faults for the next requests, one each, in order: `{ status }` answers that status without doing
   * anything; `{ delayMs }` does the work but answers only after `delayMs` (past a client's timeout,
   * the change is made and the answer lost).
   */
  injectFaults(faults: ({ status: number } | { delayMs: number })[]): void;
  close(): Promise<void>;
}

type Reply = { status: number; body: unknown };
type Fields = Record<string, unknown>;
interface Page {
  pageId: string;
  components: EmulatedComponent[];
  incidents: EmulatedIncident[];
  now: () => string;
}

const newId = (): string => randomBytes(8).toString('hex').slice(0, 12);
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Validation shared by create and update; returns an error message or undefined. */
function invalid(f: Fields, creating: boolean): string | undefined {
  if (creating && (typeof f.name !== 'string' || f.name.trim() === '')) return "Name can't be blank";
  if (f.name !== undefined && (typeof f.name !== 'string' || f.name.length > 255)) return 'Name is invalid';
  if (f.status !== undefined && !INCIDENT_STATUSES.includes(f.status as IncidentStatus)) {
    return `Status ${String(f.status)} is not a valid status`;
  }
  if (f.impact_override !== undefined && !IMPACTS.includes(f.impact_override as never))
    return 'Impact is invalid';
  if (f.body !== undefined && (typeof f.body !== 'string' || f.body.length > 25000)) return 'Body is invalid';
  const map = (f.components ?? {}) as Fields;
  for (const v of Object.values(map)) {
    if (!COMPONENT_STATUSES.includes(v as ComponentStatus)) return `Component status ${String(v)} is invalid`;
  }
  return undefined;
}

/** Applies create/update fields to an incident: statuses, components, timestamps and a new update. */
function apply(page: Page, inc: EmulatedIncident, f: Fields): void {
  const now = page.now();
  if (typeof f.name === 'string') inc.name = f.name;
  if (typeof f.status === 'string') inc.status = f.status as IncidentStatus;
  if (typeof f.impact_override === 'string') inc.impact_override = inc.impact = f.impact_override;
  for (const key of ['scheduled_for', 'scheduled_until'] as const) if (key in f) inc[key] = str(f[key]);
  for (const key of [
    'scheduled_remind_prior',
    'scheduled_auto_in_progress',
    'scheduled_auto_completed',
    'auto_transition_to_maintenance_state',
    'auto_transition_to_operational_state',
  ] as const) {
    inc[key] = bool(f[key], inc[key]);
  }
  if (inc.status === 'monitoring' && !inc.monitoring_at) inc.monitoring_at = now;
  if (inc.status === 'resolved' || inc.status === 'completed') inc.resolved_at ??= now;
  const ids = new Set([...(Array.isArray(f.component_ids) ? (f.component_ids as string[]) : [])]);
  const map = (f.components ?? {}) as Record<string, ComponentStatus>;
  for (const id of Object.keys(map)) ids.add(id);
  const affected: EmulatedIncidentUpdate['affected_components'] = [];
  for (const id of ids) {
    const c = page.components.find((x) => x.id === id);
    if (!c) continue;
    if (map[id]) {
      affected.push({ code: id, name: c.name, new_status: map[id] });
      c.status = map[id];
      c.updated_at = now;
    }
    if (!inc.components.some((x) => x.id === id)) inc.components.push(c);
  }
  if (f.status !== undefined || f.body !== undefined) {
    inc.incident_updates.unshift({
      id: newId(),
      incident_id: inc.id,
      status: inc.status,
      body: str(f.body) ?? '',
      created_at: now,
      display_at: now,
      deliver_notifications: bool(f.deliver_notifications, true),
      affected_components: affected,
    });
  }
  inc.updated_at = now;
}

function create(page: Page, f: Fields): EmulatedIncident {
  const now = page.now();
  const inc: EmulatedIncident = {
    id: newId(),
    page_id: page.pageId,
    name: '',
    status: f.scheduled_for ? 'scheduled' : 'investigating',
    impact: 'none',
    impact_override: null,
    shortlink: `http://stspg.io/${randomBytes(5).toString('hex').slice(0, 9)}`,
    created_at: now,
    updated_at: now,
    monitoring_at: null,
    resolved_at: null,
    scheduled_for: null,
    scheduled_until: null,
    scheduled_remind_prior: false,
    scheduled_auto_in_progress: false,
    scheduled_auto_completed: false,
    auto_transition_to_maintenance_state: false,
    auto_transition_to_operational_state: false,
    metadata: {},
    components: [],
    incident_updates: [],
  };
  apply(page, inc, { status: inc.status, ...f, body: str(f.body) ?? '' });
  page.incidents.push(inc);
  return inc;
}

function listView(which: string, incidents: EmulatedIncident[]): EmulatedIncident[] | undefined {
  const newest = [...incidents].reverse();
  const open = (i: EmulatedIncident): boolean => i.status !== 'resolved' && i.status !== 'completed';
  if (which === 'unresolved') return newest.filter((i) => open(i) && i.scheduled_for === null);
  if (which === 'scheduled' || which === 'upcoming') return newest.filter((i) => i.status === 'scheduled');
  if (which === 'active_maintenance')
    return newest.filter((i) => ['in_progress', 'verifying'].includes(i.status));
  return undefined;
}

function incidentRoute(page: Page, method: string, id: string | undefined, q: Fields, body: unknown): Reply {
  const f = ((body as { incident?: Fields } | undefined)?.incident ?? {}) as Fields;
  if (!id && method === 'POST') {
    const err = invalid(f, true);
    return err ? { status: 422, body: { message: err } } : { status: 201, body: create(page, f) };
  }
  if (!id && method === 'GET') {
    const text = String(q.q ?? '').toLowerCase();
    const list = [...page.incidents].reverse().filter((i) => i.name.toLowerCase().includes(text));
    return { status: 200, body: list.slice(0, Math.min(100, Number(q.limit ?? 100))) };
  }
  const view = id && method === 'GET' ? listView(id, page.incidents) : undefined;
  if (view) return { status: 200, body: view };
  const inc = page.incidents.find((i) => i.id === id);
  if (!inc) return { status: 404, body: { message: 'Incident not found' } };
  if (method === 'GET') return { status: 200, body: inc };
  if (method === 'DELETE') {
    page.incidents.splice(page.incidents.indexOf(inc), 1);
    return { status: 200, body: inc };
  }
  if (method !== 'PATCH' && method !== 'PUT') return { status: 405, body: { message: 'Method not allowed' } };
  const err = invalid(f, false);
  if (err) return { status: 422, body: { message: err } };
  apply(page, inc, f);
  return { status: 200, body: inc };
}

function componentRoute(page: Page, method: string, id: string | undefined, body: unknown): Reply {
  if (!id) return method === 'GET' ? { status: 200, body: page.components } : { status: 405, body: {} };
  const c = page.components.find((x) => x.id === id);
  if (!c) return { status: 404, body: { message: 'Component not found' } };
  if (method === 'GET') return { status: 200, body: c };
  const status = (body as { component?: { status?: unknown } } | undefined)?.component?.status;
  if (!COMPONENT_STATUSES.includes(status as ComponentStatus)) {
    return { status: 422, body: { message: 'Status is not a valid component status' } };
  }
  c.status = status as ComponentStatus;
  c.updated_at = page.now();
  return { status: 200, body: c };
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface Gate {
  apiKey: string;
  /** Requests still to answer with a rate limit, and with which status. */
  limited: number;
  limitStatus: 420 | 429;
}

/** Rate limit, auth, content type, then routing: the order a real API gateway checks them in. */
function answer(page: Page, gate: Gate, r: RecordedRequest, text: string, contentType?: string): Reply {
  if (gate.limited > 0) {
    gate.limited--;
    return { status: gate.limitStatus, body: { error: 'Rate limit exceeded. Retry later.' } };
  }
  const auth = r.headers.authorization;
  const key = typeof auth === 'string' && auth.startsWith('OAuth ') ? auth.slice(6) : r.query.api_key;
  if (key !== gate.apiKey) return { status: 401, body: { error: 'Could not authenticate' } };
  if (text && !/^application\/json\b/i.test(contentType ?? '')) {
    return { status: 400, body: { message: 'This emulator accepts JSON bodies only' } };
  }
  if (text && typeof r.body === 'string') return { status: 400, body: { message: 'Malformed JSON' } };
  const [v1, pages, pid, kind, id, extra] = r.path
    .replace(/\.json$/, '')
    .split('/')
    .filter(Boolean);
  const notFound = { status: 404, body: { message: 'Not found' } };
  if (v1 !== 'v1' || pages !== 'pages' || extra !== undefined) return notFound;
  if (pid !== page.pageId) return { status: 404, body: { message: 'Page not found' } };
  if (kind === 'incidents') return incidentRoute(page, r.method, id, r.query, r.body);
  if (kind === 'components') return componentRoute(page, r.method, id, r.body);
  return notFound;
}

async function record(req: IncomingMessage): Promise<{ r: RecordedRequest; text: string }> {
  const u = new URL(req.url ?? '/', 'http://127.0.0.1');
  const text = await readText(req);
  const r: RecordedRequest = {
    method: req.method ?? 'GET',
    path: u.pathname,
    query: Object.fromEntries(u.searchParams.entries()),
    headers: { ...req.headers },
    body: parseBody(text),
    status: 0,
  };
  return { r, text };
}

/** Starts the emulator on 127.0.0.1 (random port). Close it in afterAll. */
export async function startStatuspageEmulator(
  options: StatuspageEmulatorOptions = {},
): Promise<StatuspageEmulator> {
  const clock = options.clock ?? systemClock;
  const now = (): string => new Date(clock.now()).toISOString();
  const pageId = options.pageId ?? 'gytm4qzbx9t6';
  const gate: Gate = {
    apiKey: options.apiKey ?? `sp-key-${randomBytes(12).toString('hex')}`,
    limited: 0,
    limitStatus: 429,
  };
  const components = (options.components ?? [{ id: '8kbf7d35c070', name: 'API' }]).map(
    (c, i): EmulatedComponent => ({
      ...{ id: c.id, page_id: pageId, group_id: null, name: c.name, description: null, position: i + 1 },
      ...{ status: 'operational', showcase: true, only_show_if_degraded: false, start_date: null },
      ...{ created_at: now(), updated_at: now() },
    }),
  );
  const page: Page = { pageId, components, incidents: [], now };
  const requests: RecordedRequest[] = [];

  const faults: ({ status: number } | { delayMs: number })[] = [];
  const server = createServer((req, res) => {
    record(req)
      .then(async ({ r, text }) => {
        requests.push(r);
        const fault = faults.shift();
        const reply =
          fault && 'status' in fault
            ? { status: fault.status, body: { error: 'Injected failure' } }
            : answer(page, gate, r, text, req.headers['content-type']);
        r.status = reply.status;
        if (fault && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(reply.body));
      })
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey: gate.apiKey,
    pageId,
    requests,
    incidents: page.incidents,
    components,
    injectRateLimit(n, status = 429) {
      gate.limited = n;
      gate.limitStatus = status;
    },
    injectFaults(list) {
      faults.push(...list);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
