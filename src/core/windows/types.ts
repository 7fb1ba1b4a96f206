/**
 * The vocabulary of maintenance windows: a window is a stretch of time in one environment when
 * deploys may run (`requireWindow`), announced ahead with reminders; a freeze is a stretch when
 * nothing may be deployed or scheduled. Windows come from Slack (`/migrate window schedule`) or from
 * the configuration's recurring `windows` (materialized into the store ahead of time, so both kinds
 * share reminders, status-page maintenance and scheduled runs).
 */

/** Where a window came from. */
export type WindowSource = 'slack' | 'config';

/** `scheduled` until it is cancelled; a window that has ended keeps `scheduled` (time says it ended). */
export type WindowState = 'scheduled' | 'cancelled';

/** One maintenance window as stored. Times are ms since the epoch (UTC). */
export interface MaintenanceWindow {
  /** 8 hexadecimal characters, as shown in Slack. */
  readonly id: string;
  readonly environment: string;
  readonly title: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly source: WindowSource;
  /** Slack user id of who scheduled it, or `config`. */
  readonly createdBy: string;
  readonly state: WindowState;
  readonly createdAt: number;
}

/** A window as the configuration's recurrence produces it, before it is stored. */
export interface WindowOccurrence {
  readonly environment: string;
  readonly title: string;
  readonly startsAt: number;
  readonly endsAt: number;
  /** Stable across restarts and re-expansions: `<env>#<index in the config list>@<start ISO>`. */
  readonly configKey: string;
}

/** One freeze from the configuration: nothing is deployed or scheduled in [from, to). */
export interface Freeze {
  readonly from: number;
  /** The first moment the freeze no longer applies. */
  readonly to: number;
  readonly reason: string;
}

/** The moments a window's reminders are due: hours before its start, its start and its end. */
export type ReminderKind = `before:${number}` | 'start' | 'end';

/** A window as a person sees it in a list: the window and the runs scheduled into it. */
export interface WindowListing {
  readonly window: MaintenanceWindow;
  /** Runs waiting for (or running in) this window: id, state, requester. */
  readonly runs: readonly { readonly id: string; readonly state: string; readonly requestedBy: string }[];
  /** True when it is open now. */
  readonly open: boolean;
}

/** What scheduling a window answers. */
export interface WindowScheduled {
  readonly kind: 'scheduled';
  readonly window: MaintenanceWindow;
  /** How the start was read (an ambiguous local time, an unknown time zone), when worth saying. */
  readonly note?: string;
}

/** What cancelling a window answers; `runs` are the scheduled runs it cancelled with it. */
export interface WindowCancelled {
  readonly kind: 'cancelled';
  readonly window: MaintenanceWindow;
  readonly runs: readonly string[];
}

/** Input of `/migrate window schedule` and of the modal: the text as typed, read in `timeZone`. */
export interface ScheduleWindowInput {
  readonly environment: string;
  /** `2026-12-03T02:00Z` (with an offset or Z) or `2026-12-03 02:00` (read in `timeZone`). */
  readonly start: string;
  /** `30m`, `2h`, `1h30m`. */
  readonly duration: string;
  readonly title?: string;
  /** Slack user id. */
  readonly actor: string;
  /** The requester's IANA time zone (users.info `tz`); `UTC` when unknown. */
  readonly timeZone: string;
}

/** A run as a reminder reports it. */
export interface ReminderRun {
  readonly id: string;
  readonly state: string;
  readonly requestedBy: string;
  /** Why its approval is void now (the plan changed since it was approved), when it is. */
  readonly approvalVoid?: readonly string[];
}

/**
 * One reminder, as data (core/windows/reminders.ts builds it; slack/renderers/window-reminder.ts
 * renders it when it is delivered).
 */
export interface WindowReminderData {
  readonly windowId: string;
  readonly environment: string;
  readonly title: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly kind: ReminderKind;
  /** Set when it is sent after its due time (the bot was down): when it was due. */
  readonly lateSince?: number;
  /** The plan check (before and at the start), as a one-line summary and its pending migrations. */
  readonly check?: {
    readonly summary: string;
    readonly pending: readonly string[];
    readonly failing: readonly string[];
  };
  /** The plan check could not be made (database unreachable…). */
  readonly checkError?: string;
  /** What changed since the previous reminder, in sentences (empty: nothing). */
  readonly changes: readonly string[];
  /** Whether there was a previous reminder to compare with. */
  readonly compared: boolean;
  /** Runs scheduled into the window. */
  readonly runs: readonly ReminderRun[];
  /** A freeze that covers the window (deploys will be refused). */
  readonly freeze?: { readonly reason: string; readonly to: number };
}

/** A run's window on its message. */
export interface RunWindow {
  readonly id: string;
  readonly title: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly state: 'scheduled' | 'cancelled';
  /** Set when the estimate overruns the window's end: one sentence. */
  readonly overrun?: string;
}
