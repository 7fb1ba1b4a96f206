/**
 * A window's Statuspage scheduled maintenance, through the outbox: scheduling a window creates it
 * (`scheduled_for`, `scheduled_until`, the environment's components, Statuspage's own reminders on);
 * cancelling the window deletes it; a run that starts inside the window moves it to in progress
 * (integration-delivery.ts asks `windowIncident` for it) and the run's end completes it.
 */
import type { IncidentRef } from '../../integrations/statuspage-types.js';
import type { OutboxStore } from '../../store/outbox-store.js';
import type { MaintenanceWindow } from './types.js';
import { windowStatuspageKey } from './window-config.js';

/** `statuspage.scheduleWindow`. */
export interface StatuspageScheduleWindow {
  readonly environment: string;
  readonly windowId: string;
  readonly name: string;
  readonly body: string;
  readonly scheduledFor: number;
  readonly scheduledUntil: number;
}

/** `statuspage.cancelWindow`. */
export interface StatuspageCancelWindow {
  readonly environment: string;
  readonly windowId: string;
}

/** The name of a window's maintenance on the status page (searched for after a lost answer). */
export function statuspageWindowName(w: Pick<MaintenanceWindow, 'environment' | 'title' | 'id'>): string {
  return `${w.title} (${w.environment}, window ${w.id})`;
}

/** The incident of a window's scheduled maintenance, once Statuspage created it. */
export function windowIncident(outbox: OutboxStore, windowId: string): IncidentRef | undefined {
  const item = outbox.getByDedupeKey(windowStatuspageKey(windowId));
  const result = (item?.result ?? undefined) as Partial<IncidentRef> | undefined;
  return result?.id ? (result as IncidentRef) : undefined;
}
