/**
 * The Statuspage port used by core (announce, close, failure steps) and the shapes it speaks.
 * Wire format: Atlassian Statuspage REST API v1 (shared/slack-wire.md section 7).
 */

/** Realtime incident statuses. */
export type RealtimeStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
/** Scheduled-maintenance statuses. */
export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'verifying' | 'completed';
export type IncidentStatus = RealtimeStatus | MaintenanceStatus;

export type ComponentStatus =
  'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

export type Impact = 'none' | 'maintenance' | 'minor' | 'major' | 'critical';

export const INCIDENT_STATUSES: readonly IncidentStatus[] = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'scheduled',
  'in_progress',
  'verifying',
  'completed',
];

export const COMPONENT_STATUSES: readonly ComponentStatus[] = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
];

export const IMPACTS: readonly Impact[] = ['none', 'maintenance', 'minor', 'major', 'critical'];

/** Connection settings for one Statuspage page. `apiKey` is the resolved secret value. */
export interface StatusPageConfig {
  pageId: string;
  /** Components affected by this environment's deploys (default for every call). */
  componentIds: readonly string[];
  apiKey: string;
  /** Default `https://api.statuspage.io/v1`. */
  apiUrl?: string;
}

/** What the bot keeps about an incident it opened. */
export interface IncidentRef {
  id: string;
  /** Public short link, e.g. `http://stspg.io/803310a12`; null if Statuspage gave none. */
  shortlink: string | null;
  status: IncidentStatus;
  name: string;
}

export interface StartMaintenanceInput {
  name: string;
  body: string;
  /** Defaults to the configured component ids. */
  componentIds?: readonly string[];
  /** Notify subscribers (default true). */
  deliverNotifications?: boolean;
}

export interface ScheduleMaintenanceInput extends StartMaintenanceInput {
  scheduledFor: Date | number;
  scheduledUntil: Date | number;
}

export interface OpenIncidentInput {
  name: string;
  body: string;
  impact: 'minor' | 'major';
  /** Status for the affected components; default `major_outage` for major, `partial_outage` for minor. */
  componentStatus?: ComponentStatus;
  componentIds?: readonly string[];
  deliverNotifications?: boolean;
}

export interface IncidentUpdateInput {
  status: IncidentStatus;
  body: string;
  /** Component id → new status. */
  components?: Readonly<Record<string, ComponentStatus>>;
  deliverNotifications?: boolean;
}

/** The port core depends on. `StatusPageClient` is the real implementation. */
export interface StatusPage {
  startMaintenance(input: StartMaintenanceInput, signal?: AbortSignal): Promise<IncidentRef>;
  scheduleMaintenance(input: ScheduleMaintenanceInput, signal?: AbortSignal): Promise<IncidentRef>;
  openIncident(input: OpenIncidentInput, signal?: AbortSignal): Promise<IncidentRef>;
  updateIncident(id: string, update: IncidentUpdateInput, signal?: AbortSignal): Promise<IncidentRef>;
  resolveMaintenance(
    id: string,
    body: string,
    componentIds?: readonly string[],
    signal?: AbortSignal,
  ): Promise<IncidentRef>;
  getIncident(id: string, signal?: AbortSignal): Promise<IncidentRef>;
}
